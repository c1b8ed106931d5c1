"""The quarter-end load test (`make loadtest`): the last day of a quarter at benchmark
size against the production set-up, then the figures and the lost-narrative check.

    make loadtest        # or: .venv/bin/python tools/loadtest.py

1. Data: a PostgreSQL database (LOADTEST_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/kpi_loadtest; created if missing) with the bench
   data set (`seed_demo --units 70 --per-unit 35 --years 3`, idempotent: fast when
   present). The quarter under test (latest fiscal year, LOADTEST_QUARTER, default 2) is
   unlocked and due today; its reports of the indicators given to the load-test staff are
   cleared, so that every run starts from the same state.
2. Accounts (usernames lt-…, one password hashed once with the production hasher):
   200 unit staff (a few per unit, each with 11 of the unit's indicators: enough to write
   for the whole run), 20 auditors with authenticator apps (keys known to the test, which
   computes their codes), 10 executives.
   Everyone signs in through the real pages.
3. The server, as `make prod-local` runs it: DEBUG off, gunicorn (gunicorn.conf.py) with 2
   workers × 4 threads, 2 book workers, PostgreSQL, on 127.0.0.1:LOADTEST_PORT (8011).
4. locust (tools/loadtest/locustfile.py), headless, 230 users spawned 10 a second, for
   LOADTEST_SECONDS (240). During the run a book worker is killed (SIGKILL) and started
   again, and a gunicorn worker is restarted (SIGTERM; the master starts a new one).
   LOADTEST_BUSY=0.6 adds a process busy 60% of the time on one core: a stand-in for a
   slower machine, to compare two versions of the code with less headroom.
5. A timeline (requests/s and p95 every 20 s), then figures per kind of request
   (requests/s, errors, p50, p95) over the whole run and over the steady state (everyone
   signed in, no staff member out of work yet) against the goals, and the
   check that every text the server acknowledged (autosave 200, submit 302) is in the
   database (texts only grow, so the stored one must start with the acknowledged one).

Only 127.0.0.1 is ever targeted; the run is bounded in time and in users. Results and the
server's logs are kept in loadtest-results/.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "loadtest-results"
HOST = "127.0.0.1"
PORT = int(os.environ.get("LOADTEST_PORT", "8011"))
SECONDS = min(int(os.environ.get("LOADTEST_SECONDS", "240")), 900)
# Smaller numbers only to try the test itself (LOADTEST_STAFF …); the figures are for 200/20/10.
STAFF = int(os.environ.setdefault("LOADTEST_STAFF", "200"))
AUDITORS = int(os.environ.setdefault("LOADTEST_AUDITORS", "20"))
EXECUTIVES = int(os.environ.setdefault("LOADTEST_EXECUTIVES", "10"))
QUARTER = int(os.environ.get("LOADTEST_QUARTER", "2"))
# Enough for every staff member to keep writing for the whole run (about 21 s an indicator:
# 4-8 autosaves and the submission, 3 s apart), so that the steady state lasts; 3 staff of a
# unit take 33 of its 35 indicators.
INDICATORS_PER_STAFF = 11
PASSWORD = "load-test-only-9x"
GOALS = {"save": 500, "page": 1000}
# A stand-in for a slower machine: a process busy this fraction of the time (0 to 0.9) on
# one core, in 10 ms slices, for the whole run. Machines differ: to compare two versions
# of the code on one machine with less headroom than it has (LOADTEST_BUSY=0.6 took
# about 0.4 of a core here), not to judge the goals.
BUSY = min(max(float(os.environ.get("LOADTEST_BUSY", "0")), 0.0), 0.9)
BUSY_LOOP = """
import sys, time
busy = float(sys.argv[1]) * 0.01
while True:
    end = time.perf_counter() + busy
    while time.perf_counter() < end:
        pass
    time.sleep(0.01 - busy)
"""

RESULTS.mkdir(exist_ok=True)
secret_file = RESULTS / "secret_key"
if not secret_file.exists():
    import secrets

    secret_file.write_text(secrets.token_urlsafe(50))
    secret_file.chmod(0o600)
SERVER_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
    "DJANGO_SETTINGS_MODULE": "kpi_portal.settings",
    "DJANGO_SECRET_KEY": secret_file.read_text().strip(),
    "DATABASE_URL": os.environ.get(
        "LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_loadtest"
    ),
    "DJANGO_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "DJANGO_MEDIA_ROOT": str(RESULTS / "media"),
    "DJANGO_STATIC_ROOT": str(RESULTS / "static"),
    "GUNICORN_BIND": f"{HOST}:{PORT}",
    "GUNICORN_WORKERS": os.environ.get("LOADTEST_GUNICORN_WORKERS", "2"),
}
if not SERVER_ENV["DATABASE_URL"].startswith("postgres"):
    sys.exit("The load test runs on PostgreSQL (LOADTEST_DATABASE_URL=postgres://…).")
os.environ.update(SERVER_ENV)
sys.path.insert(0, str(ROOT))

from tools.databases import create_database  # noqa: E402


def prepare() -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from indicators.models import FiscalQuarter, FiscalYear, Indicator, OrgUnit, Role, UnitMembership
    from reports.models import AuditScore, QuarterReport

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.monotonic()
    call_command("seed_demo", units=70, per_unit=35, years=3, verbosity=0)
    print(f"Bench data ready ({Indicator.objects.count()} indicators) in {time.monotonic() - started:.0f} s")

    year = FiscalYear.objects.order_by("-year").first()
    FiscalQuarter.objects.update_or_create(
        fiscal_year=year,
        quarter=QUARTER,
        defaults={"due_date": timezone.localdate(), "locked_at": None, "locked_by": None},
    )
    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once (PBKDF2, as in production), shared
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}

    def account(username, role, **fields):
        user, _ = User.objects.update_or_create(username=username, defaults={"password": password, **fields})
        user.groups.set([groups[role]])
        return user

    units = list(OrgUnit.objects.filter(indicators__fiscal_year=year).distinct().order_by("code"))
    per_unit = {
        unit.pk: list(
            Indicator.objects.filter(fiscal_year=year, org_unit=unit)
            .order_by("sequence")
            .values_list("pk", flat=True)
        )
        for unit in units
    }
    accounts = {"staff": [], "auditors": [], "executives": []}
    used = []
    for number in range(STAFF):
        unit = units[number % len(units)]
        user = account(f"lt-staff-{number:03d}", Role.UNIT_STAFF, first_name=f"ผู้ทดสอบ {number}")
        UnitMembership.objects.get_or_create(user=user, org_unit=unit)
        nth = number // len(units)  # the how-many-th staff member of this unit
        mine = per_unit[unit.pk][nth * INDICATORS_PER_STAFF : (nth + 1) * INDICATORS_PER_STAFF]
        used += mine
        accounts["staff"].append(
            {"username": user.username, "password": PASSWORD, "indicators": mine, "quarter": QUARTER}
        )
    cleared = QuarterReport.objects.filter(indicator__in=used, quarter=QUARTER).delete()[0]
    AuditScore.objects.filter(indicator__in=used, quarter=QUARTER).delete()
    for number in range(AUDITORS):
        user = account(f"lt-auditor-{number:02d}", Role.AUDITOR)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="load test app", confirmed=True)
        accounts["auditors"].append(
            {
                "username": user.username,
                "password": PASSWORD,
                "totp_key": device.key,
                "slot": number,
                "of": AUDITORS,
            }
        )
    sheets = list(Indicator.objects.filter(fiscal_year=year).order_by("pk").values_list("pk", flat=True)[:60])
    for number in range(EXECUTIVES):
        user = account(f"lt-executive-{number:02d}", Role.EXECUTIVE)
        accounts["executives"].append(
            {
                "username": user.username,
                "password": PASSWORD,
                "year": year.year,
                "quarter": QUARTER,
                "sheets": sheets,
                "orders_book": number < 2,
                "book_unit": units[number].code,
            }
        )
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    print(
        f"Quarter {QUARTER} of fiscal year {year.year}: {len(used)} indicators for {STAFF} staff "
        f"({cleared} old rows cleared), {AUDITORS} auditors, {EXECUTIVES} executives"
    )
    (RESULTS / "accounts.json").write_text(json.dumps(accounts, ensure_ascii=False))
    return {"year": year.year}


class Server:
    """gunicorn and the book workers, with their logs in loadtest-results/."""

    def __init__(self):
        self.log = (RESULTS / "server.log").open("w")
        self.workers = {}
        self.gunicorn = None

    def start_worker(self, name):
        self.workers[name] = subprocess.Popen(
            # At the workers' niceness from the start, as systemd's Nice= starts them: their
            # start-up (imports, the renderer's warm-up) gives way to requests too.
            ["nice", "-n", os.environ.get("BOOK_WORKER_NICE", "10")]
            + [sys.executable, "manage.py", "book_worker", "--worker-id", name, "-v", "1"],
            cwd=ROOT,
            env=SERVER_ENV,
            stderr=self.log,
            stdout=self.log,
        )

    def start(self):
        for name in ("lt-book-1", "lt-book-2"):
            self.start_worker(name)
        self.gunicorn = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=SERVER_ENV,
            stderr=self.log,
            stdout=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{PORT}/health/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("the server did not start: see loadtest-results/server.log")

    def gunicorn_workers(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.gunicorn.pid).children()]

    def stop(self):
        for process in [self.gunicorn, *self.workers.values()]:
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.gunicorn, *self.workers.values()]:
            if process:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.log.close()


class CpuShares(threading.Thread):
    """Where the CPU goes during the run, in cores busy on average: gunicorn, the book
    workers, PostgreSQL's connections to the load test's database, locust, this driver,
    and every other process on the machine. The latency figures mean something only when
    "other processes" stays near 0 (on a shared machine, another bench takes the cores
    the server is measured on)."""

    INTERVAL = 5

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.database = SERVER_ENV["DATABASE_URL"].rsplit("/", 1)[1]
        self.busy: dict[str, float] = {}
        self.seen: dict[tuple, float] = {}
        self.stopping = threading.Event()
        self.elapsed = 0.0

    def group(self, process, server_pids) -> str:
        if process.pid in server_pids:
            return server_pids[process.pid]
        if process.pid == os.getpid():
            return "driver"
        command = " ".join(process.cmdline())
        if "tools/loadtest/locustfile.py" in command:
            return "locust"
        if BUSY_LOOP in command:
            return "busy process (LOADTEST_BUSY)"
        if process.name().startswith("postgres") and f" {self.database} " in f"{command} ":
            return f"PostgreSQL ({self.database})"
        return "other processes"

    def server_pids(self) -> dict[int, str]:
        import psutil

        pids = {}
        for worker in self.server.workers.values():
            pids[worker.pid] = "book workers"
        if self.server.gunicorn:
            pids[self.server.gunicorn.pid] = "gunicorn"
            try:
                for child in psutil.Process(self.server.gunicorn.pid).children():
                    pids[child.pid] = "gunicorn"
            except psutil.Error:
                pass
        return pids

    def sample(self, first=False):
        import psutil

        server_pids = self.server_pids()
        for process in psutil.process_iter():
            try:
                key = (process.pid, process.create_time())
                times = process.cpu_times()
                used = times.user + times.system
                group = self.group(process, server_pids)
            except psutil.Error:
                continue
            # A process started during the run counts from 0; one running before, from now.
            before = self.seen.get(key, used if first else 0.0)
            self.seen[key] = used
            self.busy[group] = self.busy.get(group, 0.0) + used - before

    def run(self):
        started = time.monotonic()
        self.sample(first=True)
        while not self.stopping.wait(self.INTERVAL):
            self.sample()
        self.sample()
        self.elapsed = time.monotonic() - started

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)

    def report(self):
        elapsed = max(self.elapsed, 1)
        shares = sorted(self.busy.items(), key=lambda item: -item[1])
        print(
            "CPU, cores busy on average: "
            + ", ".join(f"{name} {used / elapsed:.2f}" for name, used in shares)
        )


def inject_faults(server: Server, events: list):
    """A book worker killed and started again; a gunicorn worker restarted."""
    time.sleep(SECONDS * 0.35)
    victim = server.workers["lt-book-1"]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    events.append(f"{time.strftime('%H:%M:%S')} book worker lt-book-1 killed (SIGKILL)")
    time.sleep(3)
    server.start_worker("lt-book-1")
    events.append(f"{time.strftime('%H:%M:%S')} book worker lt-book-1 started again")
    time.sleep(SECONDS * 0.2)
    workers = server.gunicorn_workers()
    if workers:
        os.kill(workers[0], signal.SIGTERM)
        events.append(f"{time.strftime('%H:%M:%S')} gunicorn worker {workers[0]} restarted (SIGTERM)")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else 0


def report(results: dict) -> bool:
    everything = results["timings"]
    # Steady state: once everyone has signed in (sign-ins are PBKDF2 at 1,000,000 rounds, as in
    # production: 230 of them within the ramp-up keep both cores busy for most of a minute),
    # and until the first staff member has nothing left to write: after that fewer and fewer
    # type, and the load the goals are about is no longer there.
    ramp_end = max((t for name, _ms, _failed, t in everything if name.startswith("sign-in")), default=0) + 5
    steady_end = min([SECONDS, *results.get("out_of_work", [])])
    timeline(everything)
    for title, timings, elapsed in (
        ("whole run, ramp-up included", everything, SECONDS),
        (
            f"steady state (from {ramp_end:.0f} s to {steady_end:.0f} s: everyone signed in, every "
            "staff member still writing)",
            [row for row in everything if ramp_end <= row[3] < steady_end],
            steady_end - ramp_end,
        ),
    ):
        print(f"\n== {title}")
        if elapsed <= 0:
            print("none")
            kinds = {}
            continue
        kinds = figures(timings, elapsed)
    return verdicts(everything, kinds, results)


def timeline(timings, step: int = 20) -> None:
    """Requests per second and p95 per kind in each ``step`` seconds of the run: whether the
    load was there all along, and when the latencies moved."""
    print(f"\n== timeline ({step} s steps)")
    print(f"{'seconds':<12}{'save/s':>8}{'save p95':>10}{'page/s':>8}{'page p95':>10}{'all/s':>8}")
    for start in range(0, SECONDS, step):
        window = [row for row in timings if start <= row[3] < start + step]
        columns = []
        for kind in ("save", "page"):
            times = [ms for name, ms, _failed, _t in window if name.startswith(kind)]
            columns.append(f"{len(times) / step:>8.1f}{percentile(times, 0.95):>10.0f}")
        print(f"{f'{start}-{start + step}':<12}{''.join(columns)}{len(window) / step:>8.1f}")


def figures(timings, elapsed) -> dict:
    print(f"{'request':<26}{'count':>7}{'req/s':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}")
    by_name, by_kind = {}, {}
    for name, milliseconds, failed, _t in timings:
        by_name.setdefault(name, []).append((milliseconds, failed))
        by_kind.setdefault(name.split(":")[0], []).append((milliseconds, failed))
    for group in (by_name, by_kind):
        for name in sorted(group):
            rows = group[name]
            times = [ms for ms, _failed in rows]
            errors = sum(failed for _ms, failed in rows)
            print(
                f"{name:<26}{len(rows):>7}{len(rows) / elapsed:>8.1f}{errors:>8}"
                f"{statistics.median(times):>9.0f}{percentile(times, 0.95):>9.0f}"
            )
        print()
    total_errors = sum(failed for _name, _ms, failed, _t in timings)
    rate = len(timings) / max(elapsed, 1)
    print(f"all requests: {len(timings)} in {elapsed:.0f} s = {rate:.1f}/s; errors: {total_errors}")
    return {kind: [ms for ms, _failed in rows] for kind, rows in by_kind.items()}


def verdicts(everything, kinds, results) -> bool:
    """The goals: errors over the whole run, latencies in the steady state."""
    from django.db.models import Count

    from reports.models import Book, QuarterReport

    total_errors = sum(failed for _name, _ms, failed, _t in everything)

    expected = results["expected"]
    stored = {
        f"{pk}/{quarter}": narrative
        for pk, quarter, narrative in QuarterReport.objects.filter(
            indicator__in=[int(key.split("/")[0]) for key in expected], quarter=QUARTER
        ).values_list("indicator", "quarter", "narrative")
    }
    lost = [key for key, text in expected.items() if not stored.get(key, "").startswith(text)]
    print(f"narratives acknowledged: {len(expected)}; lost: {len(lost)} {lost[:10]}")
    statuses = dict(
        QuarterReport.objects.filter(quarter=QUARTER, indicator__in=[int(k.split("/")[0]) for k in expected])
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    print(f"reports of the quarter under test by status: {statuses}")
    books = dict(
        Book.objects.filter(ordered_at__gte=results["started"]).values_list("status").annotate(n=Count("pk"))
    )
    print(f"books ordered during the run, by status: {books}")

    def latency(kind):
        # No steady state (the sign-in ramp lasted the whole run): nothing was measured.
        timings = kinds.get(kind, [])
        return percentile(timings, 0.95) < GOALS[kind] if timings else None

    checks = [
        ("zero errors", total_errors == 0),
        ("zero lost narratives", not lost),
        (f"save p95 < {GOALS['save']} ms", latency("save")),
        (f"page p95 < {GOALS['page']} ms", latency("page")),
    ]
    verdict = {True: "met", False: "MISSED", None: "not measured (no steady state)"}
    print("goals: " + "; ".join(f"{label}: {verdict[ok]}" for label, ok in checks))
    return not lost


def wait_for_books(started, seconds=240):
    from reports.models import Book

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Book.objects.filter(ordered_at__gte=started).exclude(status__in=["done", "failed"]).exists():
            return
        time.sleep(2)


def server_cpu(log_lines) -> None:
    """Where gunicorn's CPU went: the access log's ``cpu_ms`` by method and path (numbers
    in the path as ``N``), the largest first. Streamed bodies (PDF files) are not in it."""
    import re

    by_route = {}
    for line in log_lines:
        if '"kpi_portal.access"' not in line:
            continue
        record = json.loads(line)
        if "cpu_ms" not in record:
            continue
        route = f"{record['method']} {re.sub(r'[0-9]+', 'N', record['path'])}"
        by_route.setdefault(route, []).append(record["cpu_ms"])
    total = sum(sum(times) for times in by_route.values())
    if not total:
        return
    print(f"server CPU by request (access log): {total / 1000:.1f} s in all")
    print(f"{'request':<48}{'count':>7}{'CPU s':>8}{'share':>7}{'p50 ms':>8}{'p95 ms':>8}")
    for route, times in sorted(by_route.items(), key=lambda item: -sum(item[1]))[:15]:
        print(
            f"{route[:47]:<48}{len(times):>7}{sum(times) / 1000:>8.1f}{sum(times) / total:>7.0%}"
            f"{statistics.median(times):>8.1f}{percentile(times, 0.95):>8.1f}"
        )


def main():
    from django.utils import timezone

    create_database(SERVER_ENV["DATABASE_URL"])
    prepare()
    server = Server()
    server.start()
    print(
        f"Server up: gunicorn {SERVER_ENV['GUNICORN_WORKERS']} workers, 2 book workers, http://{HOST}:{PORT}/"
    )
    events, results_file = [], RESULTS / "results.json"
    started = timezone.now()
    faults = threading.Thread(target=inject_faults, args=(server, events), daemon=True)
    cpu = CpuShares(server)
    busy = None
    if BUSY:
        busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(BUSY)])
        print(f"A process busy {BUSY:.0%} of the time on one core (LOADTEST_BUSY), for the whole run")
    try:
        faults.start()
        cpu.start()
        users = STAFF + AUDITORS + EXECUTIVES
        subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                "tools/loadtest/locustfile.py",
                "--headless",
                "--host",
                f"http://{HOST}:{PORT}",
                "--users",
                str(users),
                "--spawn-rate",
                os.environ.get("LOADTEST_SPAWN_RATE", "5"),
                "--run-time",
                f"{SECONDS}s",
                "--stop-timeout",
                "10",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "LOADTEST_ACCOUNTS": str(RESULTS / "accounts.json"),
                "LOADTEST_EXPECTED": str(results_file),
            },
            stdout=(RESULTS / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
            timeout=SECONDS + 120,
        )
        faults.join(timeout=5)
        cpu.stop()
        wait_for_books(started)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
        server.stop()
    cpu.report()
    for event in events:
        print(event)
    results = json.loads(results_file.read_text())
    results["started"] = started - timedelta(seconds=1)
    server_log = (RESULTS / "server.log").read_text().splitlines()
    server_errors = sum('"status": 5' in line for line in server_log)
    print(f"server log: {server_errors} responses with status 5xx")
    server_cpu(server_log)
    ok = report(results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
