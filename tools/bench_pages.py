"""Page throughput under gunicorn + PostgreSQL at benchmark size, against a one-query view
served by the same server. Not a test: it asserts nothing, it measures and prints ratios.

    make bench                      # runs this after tools/bench.py
    .venv/bin/python tools/bench_pages.py

1. Data: the PostgreSQL database BENCH_PAGES_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/kpi_bench_pages; created if missing) with
   tools/bench.py's data set (`seed_demo --units 70 --per-unit 35 --years 3`; BENCH_UNITS,
   BENCH_PER_UNIT, BENCH_YEARS as there; idempotent, fast when present).
2. The server: gunicorn with the portal's gunicorn.conf.py (GUNICORN_WORKERS 2, its threads
   or BENCH_PAGES_THREADS),
   DEBUG off, on 127.0.0.1:BENCH_PAGES_PORT (8021), with the bench's settings
   (tools/bench_server/): the portal's own plus ``/bench/reference/``, a view running one
   query, behind the same middleware. Production URLs never include it.
3. Four clients (threads, each its own ``requests`` session, signed in as the demo
   executive) request one page at a time as fast as answers come. Each page is measured in
   BENCH_PAGES_ROUNDS rounds (3) alternating the portal's page and the reference,
   BENCH_PAGES_SECONDS (4) each: both see the same machine, whatever else runs on it.
4. Printed per page (detail, list, dashboard): requests/s and p50 of the page and of the
   reference, their ratio (page req/s / reference req/s) and the goal. The list, the
   dashboard and the detail page's sheet are served from their cache once rendered (a page
   is rendered again after any change to what it shows); BENCH_PAGES_NO_CACHE=1 measures
   them computed every time.
   BENCH_PAGES_ONLY=detail (or a comma-separated list: detail,list) measures only those pages.

Only 127.0.0.1 is targeted. The server's log is kept in bench-results/bench_pages.log.
"""

import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PAGES_PORT", "8021"))
CLIENTS = int(os.environ.get("BENCH_PAGES_CLIENTS", "4"))
ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_PAGES_SECONDS", "4"))
UNITS = int(os.environ.get("BENCH_UNITS", 70))
PER_UNIT = int(os.environ.get("BENCH_PER_UNIT", 35))
YEARS = int(os.environ.get("BENCH_YEARS", 3))
GOALS = {"detail": 0.5, "list": 0.4, "dashboard": 0.3}
ONLY = [name for name in os.environ.get("BENCH_PAGES_ONLY", "").split(",") if name]
if set(ONLY) - set(GOALS):
    sys.exit(f"BENCH_PAGES_ONLY: pages are {', '.join(GOALS)}")
REFERENCE = "/bench/reference/"

RESULTS.mkdir(exist_ok=True)
SERVER_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))},
    "DJANGO_SETTINGS_MODULE": "tools.bench_server.settings",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # this run only: the sessions die with it
    "DATABASE_URL": os.environ.get(
        "BENCH_PAGES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_bench_pages"
    ),
    "DJANGO_ALLOWED_HOSTS": HOST,
    "DJANGO_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "DJANGO_STATIC_ROOT": str(RESULTS / "static"),
    "DJANGO_MEDIA_ROOT": str(RESULTS / "media"),
    "GUNICORN_BIND": f"{HOST}:{PORT}",
    "GUNICORN_WORKERS": "2",
}
if os.environ.get("BENCH_PAGES_NO_CACHE") == "1":  # tools/bench_server/settings.py: no cache
    SERVER_ENV["BENCH_PAGES_NO_CACHE"] = "1"
if os.environ.get("BENCH_PAGES_THREADS"):  # else gunicorn.conf.py's default
    SERVER_ENV["GUNICORN_THREADS"] = os.environ["BENCH_PAGES_THREADS"]
if not SERVER_ENV["DATABASE_URL"].startswith("postgres"):
    sys.exit("The page bench runs on PostgreSQL (BENCH_PAGES_DATABASE_URL=postgres://…).")
os.environ.update(SERVER_ENV)
sys.path.insert(0, str(ROOT))

from tools.databases import create_database  # noqa: E402


def prepare() -> tuple[dict, dict]:
    """The data, a signed-in session of the executive, and the URLs of each page."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from indicators.models import Indicator

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", units=UNITS, per_unit=PER_UNIT, years=YEARS, verbosity=0)
    print(
        f"database: PostgreSQL, {Indicator.objects.count()} indicators ({UNITS} units x {PER_UNIT} x "
        f"{YEARS} years + the seed); set-up {time.monotonic() - started:.0f} s"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="executive"))
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    year = Indicator.objects.order_by("-fiscal_year__year").values_list("fiscal_year__year", flat=True)[0]
    pks = Indicator.objects.filter(fiscal_year__year=year).order_by("pk").values_list("pk", flat=True)[:50]
    pages = {
        "detail": [f"/indicators/{pk}/" for pk in pks],
        "list": ["/indicators/", *(f"/indicators/?year={year}&page={page}" for page in (1, 5, 20))],
        "dashboard": ["/dashboard/", *(f"/dashboard/?year={year}&quarter={q}" for q in (1, 2, 3, 4))],
    }
    return cookies, {name: urls for name, urls in pages.items() if not ONLY or name in ONLY}


class Server:
    def __init__(self):
        self.log = (RESULTS / "bench_pages.log").open("w")
        self.process = None

    def start(self):
        import socket

        import requests

        with socket.socket() as probe:
            if probe.connect_ex((HOST, PORT)) == 0:
                raise SystemExit(f"Something already listens on {HOST}:{PORT} (BENCH_PAGES_PORT).")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=SERVER_ENV,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"http://{HOST}:{PORT}/health/", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("the server did not start: see bench-results/bench_pages.log")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def drive(cookies: dict, urls: list[str], seconds: float) -> tuple[int, list[float], int]:
    """CLIENTS clients requesting ``urls`` in turn for ``seconds``: (answers, times in ms, errors)."""
    import requests

    deadline = time.monotonic() + seconds
    timings, errors, lock = [], [0], threading.Lock()

    def client(offset: int):
        session = requests.Session()
        session.cookies.update(cookies)
        mine, failed, index = [], 0, offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = session.get(f"http://{HOST}:{PORT}{urls[index % len(urls)]}", allow_redirects=False)
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status_code != 200
            index += 1
        with lock:
            timings.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started  # the last answer may come after the deadline
    return len(timings) / elapsed, timings, errors[0]


def main():
    create_database(SERVER_ENV["DATABASE_URL"])
    cookies, pages = prepare()
    server = Server()
    server.start()
    print(
        f"gunicorn ({SERVER_ENV['GUNICORN_WORKERS']} workers, "
        f"{SERVER_ENV.get('GUNICORN_THREADS', 'default')} threads"
        f"{', no cache' if SERVER_ENV.get('BENCH_PAGES_NO_CACHE') else ''}) at http://{HOST}:{PORT}/; "
        f"{CLIENTS} clients; "
        f"{ROUNDS} rounds of {SECONDS:g} s per page and per reference, alternating"
    )
    try:
        for urls in [*pages.values(), [REFERENCE]]:  # warm: templates, connections
            drive(cookies, urls, 1.5)
        print(
            f"{'page':<11}{'req/s':>8}{'p50 ms':>8}{'ref req/s':>11}{'ref p50':>9}{'ratio':>8}{'goal':>7}"
            f"{'errors':>8}"
        )
        for name, urls in pages.items():
            page_rates, page_times, ref_rates, ref_times, errors = [], [], [], [], 0
            for _ in range(ROUNDS):
                rate, times, failed = drive(cookies, urls, SECONDS)
                page_rates.append(rate)
                page_times += times
                errors += failed
                rate, times, failed = drive(cookies, [REFERENCE], SECONDS)
                ref_rates.append(rate)
                ref_times += times
                errors += failed
            page_rate, ref_rate = statistics.mean(page_rates), statistics.mean(ref_rates)
            ratio = page_rate / ref_rate
            print(
                f"{name:<11}{page_rate:>8.1f}{statistics.median(page_times):>8.0f}{ref_rate:>11.1f}"
                f"{statistics.median(ref_times):>9.0f}{ratio:>7.2f}x{GOALS[name]:>6.1f}x{errors:>8}"
                f"  {'met' if ratio >= GOALS[name] else 'MISSED'}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
