"""The PostgreSQL databases the benches and the load test run on."""

import subprocess


def create_database(url: str) -> None:
    """Create the database of ``url`` (postgres://…/name) unless it exists, with psql."""
    server, name = url.rsplit("/", 1)
    found = subprocess.run(
        ["psql", f"{server}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    )
    if found.stdout.strip() != "1":
        subprocess.run(["psql", f"{server}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
