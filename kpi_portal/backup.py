"""Back up and restore the database and the stored files together, consistently.

A backup is a directory:

    manifest.json        what is in it: engine, applied migrations, row counts, files
                         (name, size, sha256), files the database names but the storage lacks
    database.dump        PostgreSQL: pg_dump's custom format
    database.sqlite3     SQLite: a copy made with SQLite's backup API
    files/<name>         every file the database's rows name (evidence, books, rendered
                         sheets), read through the storage API (local disk or S3)

Consistency: the database is copied as one snapshot, and the list of files is read
from that same snapshot (PostgreSQL: pg_dump runs on a snapshot exported by the
transaction that lists the files; SQLite: the list is read from the copy). Stored
files are never changed once written (generated names), so copying them after the
snapshot copies exactly what the snapshot names; a file deleted in between (evidence
removed a moment later) is listed under "missing" and the backup says so.

Restore goes into an empty database and an empty storage only, and refuses
otherwise: nothing is ever overwritten.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """What went wrong, in words for the operator."""


@dataclass
class Manifest:
    engine: str
    created_at: str = ""
    migrations: list = field(default_factory=list)
    row_counts: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    format_version: int = FORMAT_VERSION

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(self.__dict__, indent=1, ensure_ascii=False))

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        try:
            data = json.loads((directory / MANIFEST).read_text())
        except (OSError, ValueError) as error:
            raise BackupError(f"{directory} is not a backup of the portal: {error}") from error
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"unknown backup format {data.get('format_version')!r}")
        return cls(**data)


def engine() -> str:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"backups of {vendor} databases are not supported")
    return vendor


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every file field of the portal's models (history tables name
    files too, but of deleted rows: their files are gone by design)."""
    columns = []
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                columns.append((model._meta.db_table, model_field.column))
    return sorted(columns)


def names_from(cursor, quote) -> list[str]:
    names = set()
    for table, column in file_columns():
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''")
        names.update(row[0] for row in cursor.fetchall())
    return sorted(names)


def counts_from(cursor, quote, tables) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def postgres_arguments(settings_dict) -> tuple[list[str], dict]:
    arguments = []
    if settings_dict.get("HOST"):
        arguments += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        arguments += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        arguments += ["--username", settings_dict["USER"]]
    environment = {**os.environ}
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = settings_dict["PASSWORD"]  # never on the command line
    return arguments, environment


def run(command: list[str], environment: dict) -> None:
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from error
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def prepare_destination(destination: Path) -> None:
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: a backup goes into a new directory")
    destination.mkdir(parents=True, exist_ok=True)


def backup(destination: Path, log=print) -> Manifest:
    """Write a backup of the database and its files into ``destination`` (new or empty)."""
    destination = Path(destination)
    manifest = Manifest(engine=engine(), created_at=timezone.now().isoformat())
    prepare_destination(destination)
    if manifest.engine == "postgresql":
        names = backup_postgresql(destination, manifest)
    else:
        names = backup_sqlite(destination, manifest)
    log(f"Database copied ({sum(manifest.row_counts.values())} rows in {len(manifest.row_counts)} tables).")
    copy_files(names, destination / "files", manifest)
    manifest.write(destination)
    log(f"Files copied: {len(manifest.files)} ({sum(f['size'] for f in manifest.files)} bytes).")
    if manifest.missing:
        log(
            f"WARNING: {len(manifest.missing)} file(s) named by the database are not in the storage: "
            + ", ".join(manifest.missing[:20])
        )
    return manifest


def backup_postgresql(destination: Path, manifest: Manifest) -> list[str]:
    quote = connection.ops.quote_name
    arguments, environment = postgres_arguments(connection.settings_dict)
    with transaction.atomic(), connection.cursor() as cursor:
        # One snapshot for the dump and for the list of files (and the counts).
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        run(
            [
                "pg_dump",
                *arguments,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--no-privileges",
                f"--file={destination / 'database.dump'}",
                connection.settings_dict["NAME"],
            ],
            environment,
        )
        names = names_from(cursor, quote)
        manifest.row_counts = counts_from(cursor, quote, connection.introspection.table_names(cursor))
        manifest.migrations = sorted(
            [app, name] for app, name in MigrationRecorder.Migration.objects.values_list("app", "name")
        )
    return names


def backup_sqlite(destination: Path, manifest: Manifest) -> list[str]:
    connection.ensure_connection()
    copy_path = destination / "database.sqlite3"
    copy = sqlite3.connect(copy_path)
    try:
        connection.connection.backup(copy)  # a consistent snapshot, even while others write
        cursor = copy.cursor()

        def quote(name):
            return '"' + name.replace('"', '""') + '"'

        names = names_from(cursor, quote)
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        manifest.row_counts = counts_from(cursor, quote, [row[0] for row in cursor.fetchall()])
        cursor.execute("SELECT app, name FROM django_migrations")
        manifest.migrations = sorted([app, name] for app, name in cursor.fetchall())
    finally:
        copy.close()
    return names


def copy_files(names: list[str], directory: Path, manifest: Manifest) -> None:
    storage = storages["default"]
    for name in names:
        target = safe_join(directory, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            source = storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            manifest.missing.append(name)
            continue
        digest, size = hashlib.sha256(), 0
        with source, target.open("wb") as handle:
            while block := source.read(CHUNK):
                digest.update(block)
                size += len(block)
                handle.write(block)
        manifest.files.append({"name": name, "size": size, "sha256": digest.hexdigest()})


def safe_join(directory: Path, name: str) -> Path:
    """``name`` under ``directory``, refusing names that would leave it."""
    path = (directory / name).resolve()
    if not path.is_relative_to(directory.resolve()) or name.startswith("/"):
        raise BackupError(f"refusing the file name {name!r}")
    return path


def check_backup(source: Path) -> Manifest:
    """The manifest, after checking every file of the backup against it."""
    manifest = Manifest.read(source)
    database = source / ("database.dump" if manifest.engine == "postgresql" else "database.sqlite3")
    if not database.is_file():
        raise BackupError(f"{database.name} is missing from the backup")
    for entry in manifest.files:
        path = safe_join(source / "files", entry["name"])
        if not path.is_file() or path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            raise BackupError(f"{entry['name']} in the backup is damaged or missing")
    return manifest


def restore(source: Path, log=print, dry_run: bool = False) -> Manifest:
    """Restore a backup into the (empty) configured database and (empty) storage."""
    source = Path(source)
    manifest = check_backup(source)
    if manifest.engine != engine():
        raise BackupError(
            f"this backup is of a {manifest.engine} database and the portal now uses {engine()}: "
            "restore it into the same kind of database"
        )
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables): restore only into an empty one")
    storage = storages["default"]
    present = [entry["name"] for entry in manifest.files if storage.exists(entry["name"])]
    if present:
        raise BackupError(
            f"the storage already holds {len(present)} of the backup's files, e.g. {present[0]}"
        )
    log(f"Backup checked: {len(manifest.files)} files, {sum(manifest.row_counts.values())} rows.")
    if dry_run:
        return manifest
    if manifest.engine == "postgresql":
        arguments, environment = postgres_arguments(connection.settings_dict)
        connection.close()
        run(
            [
                "pg_restore",
                *arguments,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(source / "database.dump"),
            ],
            environment,
        )
    else:
        connection.ensure_connection()
        backup_copy = sqlite3.connect(source / "database.sqlite3")
        try:
            backup_copy.backup(connection.connection)
        finally:
            backup_copy.close()
    log("Database restored.")
    for entry in manifest.files:
        with safe_join(source / "files", entry["name"]).open("rb") as handle:
            saved = storage.save(entry["name"], File(handle))
        if saved != entry["name"]:
            raise BackupError(f"the storage saved {entry['name']} as {saved}")
        with storage.open(saved, "rb") as stored:
            digest = hashlib.sha256()
            while block := stored.read(CHUNK):
                digest.update(block)
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(f"{entry['name']} was not stored intact")
    log(f"Files restored: {len(manifest.files)}.")
    return manifest
