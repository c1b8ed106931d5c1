"""CPU milliseconds per request, by kind, of a signed-in unit staff member: the autosave
(POST), the entry page, the home page and the submission (POST); and of a signed-in
auditor (password and two-step code): the review queue, the review page and the review
POST (a return). Not a test: it measures and prints.

    .venv/bin/python tools/bench_requests.py                    # this checkout
    .venv/bin/python tools/bench_requests.py --reference DIR    # and DIR's code, interleaved

The requests go through the portal's WSGI application exactly as gunicorn calls it, with
production settings (kpi_portal.settings, DEBUG off, JSON logs and the access log line,
every middleware, CSRF checked), on PostgreSQL: BENCH_REQUESTS_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/kpi_bench_requests; created, migrated and seeded with
`seed_demo --units 4 --per-unit 35 --years 3` when missing: a staff member's unit has
35 indicators, as at benchmark size). No server, no network: the figure is the
process's CPU time (``time.process_time``) spent in the application per request (the
client's encoding excluded), which the machine's other work distorts much less than wall
time. The autosave's body is multipart, as static/js/autosave.js sends it (FormData);
BENCH_REQUESTS_AUTOSAVE_BODY=urlencoded sends it as the load test's locust client does.

Each measuring round runs in a new process: BENCH_REQUESTS_COUNT (200) autosaves, and a
fifth as many of each other kind, after a warm-up. Every fifth autosave the staff member
also opens the entry page and the home page, then submits; the auditor opens the queue
(a page of 50 of the submitted reports, the measured one among them), the submitted
report's review page and returns it with a comment (so that the unit may edit it again:
from the first cycle on the measured report is a returned one); an unmeasured entry page
then gives the staff member the report's new version. With --reference (a checkout of
another commit, e.g. ``git archive <commit> | tar -x -C DIR``) the rounds alternate
between DIR's code and this checkout's, BENCH_REQUESTS_ROUNDS (3) each, so that both see
the same machine; printed: the median ms per kind, the ratio, and the SQL statements of
one request of each kind (BENCH_REQUESTS_SHOW_SQL=1 prints them).

    .venv/bin/python tools/bench_requests.py --profile autosave --sort tottime

profiles BENCH_REQUESTS_COUNT requests of one kind (cProfile, CPU time) on standard error.
"""

import argparse
import hashlib
import hmac
import io
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_REQUESTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_bench_requests"
)
COUNT = int(os.environ.get("BENCH_REQUESTS_COUNT", "200"))
ROUNDS = int(os.environ.get("BENCH_REQUESTS_ROUNDS", "3"))
USERNAME = "bench-requests-staff"
AUDITOR = "bench-requests-auditor"
PASSWORD = "bench-requests-only-7q"
QUARTER = 2
KINDS = ("autosave", "entry", "home", "submit", "queue", "review", "review_post")
# The autosave's body as static/js/autosave.js sends it (FormData: multipart), or, with
# BENCH_REQUESTS_AUTOSAVE_BODY=urlencoded, as the load test's locust client sends it.
AUTOSAVE_MULTIPART = os.environ.get("BENCH_REQUESTS_AUTOSAVE_BODY", "multipart") != "urlencoded"
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "kpi_portal.settings",
    "DJANGO_SECRET_KEY": "bench-requests-" + "k" * 40,  # fixed: the sessions outlive a round
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "DJANGO_LOG_FORMAT": "json",
    "DJANGO_ACCESS_LOG": "1",  # as gunicorn.conf.py sets it
    "DJANGO_MEDIA_ROOT": str(ROOT / "bench-results" / "media"),
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
TWO_FACTOR_FORM = 'id="two-factor-verify"'  # the code page (templates/registration/two_factor_verify.html)


def totp(hex_key: str) -> str:
    """The authenticator app's code now (RFC 6238: SHA-1, 30 s, 6 digits)."""
    counter = int(time.time() // 30)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def multipart_body(data: dict) -> tuple[bytes, str]:
    """``data`` as a browser's FormData sends it (multipart/form-data)."""
    boundary = "----BenchRequestsBoundary7MA4YWxkTrZu0gW"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in data.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Browser:
    """A WSGI caller keeping cookies, as gunicorn would pass a browser's requests."""

    def __init__(self, application):
        self.application = application
        self.cookies = SimpleCookie()

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None, multipart=False
    ):
        content_type = "application/x-www-form-urlencoded"
        if multipart:
            body, content_type = multipart_body(data or {})
        else:
            body = urlencode(data or {}).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_USER_AGENT": "bench_requests",
            "HTTP_COOKIE": "; ".join(f"{key}={morsel.value}" for key, morsel in self.cookies.items()),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if method == "POST":
            environ["CONTENT_TYPE"] = content_type
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = response_headers

        started = time.process_time()
        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.cpu_ms = (time.process_time() - started) * 1000  # the server's part only
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                self.cookies.load(value)
        return answer["status"], content.decode()


STAFF_KINDS = ("autosave", "entry", "home", "submit")


def setup_django(root: Path):
    os.environ.update(SERVER_ENV)
    os.chdir(root)
    os.environ["DJANGO_STATIC_ROOT"] = str(ROOT / "bench-results" / "static")
    (ROOT / "bench-results" / "static").mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(root))
    import django

    django.setup()


def silence_logs():
    """The log lines are formatted as in production, then thrown away (after the last
    ``django.setup()``, which configures logging anew)."""
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))


def prepare() -> None:
    """The data and the staff account (idempotent); the measured report set back to a draft."""
    sys.path.insert(0, str(ROOT))
    from tools.databases import create_database

    create_database(DATABASE_URL)
    setup_django(ROOT)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from indicators.models import FiscalQuarter, FiscalYear, Indicator, OrgUnit, Role, UnitMembership
    from reports.models import AuditScore, QuarterReport

    call_command("migrate", verbosity=0)
    if not Indicator.objects.exists():
        call_command("seed_demo", units=4, per_unit=35, years=3, verbosity=0)
    year = FiscalYear.objects.order_by("-year").first()
    FiscalQuarter.objects.update_or_create(
        fiscal_year=year,
        quarter=QUARTER,
        defaults={"due_date": timezone.localdate(), "locked_at": None, "locked_by": None},
    )
    user, created = get_user_model().objects.get_or_create(username=USERNAME)
    if created:
        user.set_password(PASSWORD)
        user.save()
    user.groups.set([Group.objects.get_or_create(name=Role.UNIT_STAFF)[0]])
    auditor, created = get_user_model().objects.get_or_create(username=AUDITOR)
    if created:
        auditor.set_password(PASSWORD)
        auditor.save()
    auditor.groups.set([Group.objects.get_or_create(name=Role.AUDITOR)[0]])
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=auditor, confirmed=True).first() or TOTPDevice.objects.create(
        user=auditor, name="bench app", confirmed=True
    )
    unit = OrgUnit.objects.filter(indicators__fiscal_year=year).order_by("code").first()
    UnitMembership.objects.get_or_create(user=user, org_unit=unit)
    indicator = Indicator.objects.filter(fiscal_year=year, org_unit=unit).order_by("sequence").first()
    QuarterReport.objects.filter(indicator=indicator, quarter=QUARTER).delete()
    AuditScore.objects.filter(indicator=indicator, quarter=QUARTER).delete()
    # The submitted report must be among the queue's first 50 (oldest first): the other
    # submitted reports of the seed are older, so at most 49 of them stay submitted.
    waiting = QuarterReport.objects.filter(status=QuarterReport.Status.SUBMITTED).exclude(
        indicator_id=indicator.pk, quarter=QUARTER
    )
    for pk in waiting.order_by("submitted_at", "pk").values_list("pk", flat=True)[49:]:
        QuarterReport.objects.filter(pk=pk).update(status=QuarterReport.Status.DRAFT)

    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    (ROOT / "bench-results").mkdir(exist_ok=True)
    (ROOT / "bench-results" / "bench_requests.json").write_text(
        json.dumps({"indicator": indicator.pk, "totp_key": device.key})
    )


def count_statements(call) -> int:
    from django.db import connection

    statements = []

    def counting(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        call()
    if os.environ.get("BENCH_REQUESTS_SHOW_SQL"):
        print("\n".join(statements), file=sys.stderr)
    return len(statements)


def measure(root: Path, profile: str = "", sort: str = "cumulative") -> dict:
    """One round in this process: CPU ms of every request, by kind, and statements per kind."""
    setup_django(root)
    from django.core.wsgi import get_wsgi_application

    prepared = json.loads((ROOT / "bench-results" / "bench_requests.json").read_text())
    indicator = prepared["indicator"]
    entry_url = f"/indicators/{indicator}/quarters/{QUARTER}/report/"
    autosave_url = f"/indicators/{indicator}/quarters/{QUARTER}/autosave/"
    review_url = f"/indicators/{indicator}/quarters/{QUARTER}/review/"
    application = get_wsgi_application()
    browser = Browser(application)
    auditor = Browser(application)
    silence_logs()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # A code is accepted once: the previous round's may be this one's (same 30 s).
    TOTPDevice.objects.filter(user__username=AUDITOR).update(last_t=-1, throttling_failure_count=0)
    for client, username in ((browser, USERNAME), (auditor, AUDITOR)):
        status, page = client.request("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page).group(1)
        status, _ = client.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert status == 302, f"sign-in answered {status}"
    status, page = auditor.request("GET", "/account/two-factor/")
    assert TWO_FACTOR_FORM in page, "the auditor was not asked for the two-step code"
    status, _ = auditor.request(
        "POST",
        "/account/two-factor/",
        {
            "code": totp(prepared["totp_key"]),
            "csrfmiddlewaretoken": CSRF_INPUT.search(page).group(1),
            "next": "/",
        },
    )
    assert status == 302, f"the two-step code answered {status}"
    status, page = browser.request("GET", entry_url)
    assert status == 200, f"the entry page answered {status}"
    token = CSRF_INPUT.search(page).group(1)
    version = VERSION_INPUT.search(page).group(1)
    typed = {"n": 0}
    review_form = {}

    def autosave():
        nonlocal version
        typed["n"] += 1
        status, content = browser.request(
            "POST",
            autosave_url,
            {"narrative": f"รายงานผลการดำเนินงาน ครั้งที่ {typed['n']} " * 20, "result": "1", "version": version},
            {"X-CSRFToken": token, "Accept": "application/json"},
            multipart=AUTOSAVE_MULTIPART,
        )
        assert status == 200, f"autosave answered {status}: {content[:200]}"
        version = str(json.loads(content)["version"])

    def entry():
        status, _ = browser.request("GET", entry_url)
        assert status == 200, f"the entry page answered {status}"

    def home():
        status, _ = browser.request("GET", "/")
        assert status == 200, f"home answered {status}"

    def submit():
        typed["n"] += 1
        data = {
            "narrative": f"รายงานผลการดำเนินงาน ส่ง ครั้งที่ {typed['n']} " * 20,
            "result": "1",
            "version": version,
            "csrfmiddlewaretoken": token,
            "submit": "",
        }
        status, content = browser.request("POST", entry_url, data)
        assert status == 302, f"the submission answered {status}: {content[:300]}"

    def queue():
        status, page = auditor.request("GET", "/review/")
        assert status == 200, f"the review queue answered {status}"
        assert f'href="{review_url}"' in page, "the submitted report is not in the queue's first page"

    def review():
        status, page = auditor.request("GET", review_url)
        assert status == 200, f"the review page answered {status}"
        review_form["version"] = VERSION_INPUT.search(page).group(1)
        review_form["csrfmiddlewaretoken"] = CSRF_INPUT.search(page).group(1)

    def review_post():
        data = {"score": "85", "criterion_1": "80", "criterion_2": "90", "comment": "โปรดเพิ่มหลักฐาน"}
        status, content = auditor.request("POST", review_url, {**data, **review_form, "return": ""})
        assert status == 302, f"the review answered {status}: {content[:300]}"

    def reread():
        """Unmeasured: the version the return gave the report, for the next saves."""
        nonlocal version
        status, page = browser.request("GET", entry_url)
        version = VERSION_INPUT.search(page).group(1)

    calls = {
        "autosave": autosave,
        "entry": entry,
        "home": home,
        "submit": submit,
        "queue": queue,
        "review": review,
        "review_post": review_post,
    }

    def cycle(kinds, record=None):
        for kind in kinds:
            calls[kind]()
            if record is not None:
                record[kind].append(browser.cpu_ms if kind in STAFF_KINDS else auditor.cpu_ms)
        if "review_post" in kinds:
            reread()

    for _ in range(10):  # warm-up: imports, templates, translations
        cycle(KINDS)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        if profile in ("autosave", "entry", "home"):
            profiler.runcall(lambda: [calls[profile]() for _ in range(COUNT)])
        else:  # a submission, a review: a whole cycle each, only that kind profiled
            for _ in range(COUNT):
                for kind in KINDS[1:]:
                    if kind == profile:
                        profiler.runcall(calls[kind])
                    else:
                        calls[kind]()
                reread()
        lines = int(os.environ.get("BENCH_REQUESTS_PROFILE_LINES", "60"))
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(sort).print_stats(lines)
        return {}
    statements = {kind: count_statements(call) for kind, call in calls.items()}
    reread()
    times = {kind: [] for kind in KINDS}
    for number in range(COUNT):
        cycle(KINDS if number % 5 == 0 else ["autosave"], times)
    return {"times": times, "statements": statements}


def run_round(root: Path) -> dict:
    found = subprocess.run(
        [sys.executable, __file__, "--measure", str(root)], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        sys.exit(f"A round on {root} failed:\n{found.stderr[-3000:]}")
    return json.loads(found.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference", type=Path, help="another checkout to measure, interleaved")
    parser.add_argument("--profile", choices=KINDS, help="cProfile BENCH_REQUESTS_COUNT requests of a kind")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.measure.resolve())))
        return
    if arguments.profile:
        prepare_in_child()
        measure(ROOT, arguments.profile, arguments.sort)
        return
    prepare_in_child()
    roots = {"this": ROOT}
    if arguments.reference:
        roots = {"reference": arguments.reference.resolve(), "this": ROOT}
    results = {name: {"times": {kind: [] for kind in KINDS}} for name in roots}
    print(f"load average before: {load_average()}")
    for number in range(ROUNDS):
        # ABBA: the first process of a run is often the slower; each side goes first in turn.
        order = list(roots.items()) if number % 2 == 0 else list(reversed(roots.items()))
        for name, root in order:
            found = run_round(root)
            for kind in KINDS:
                results[name]["times"][kind] += found["times"][kind]
            results[name]["statements"] = found["statements"]
            print(
                f"  round {number + 1} {name}: "
                + ", ".join(f"{kind} {statistics.median(found['times'][kind]):.2f}" for kind in KINDS),
                flush=True,
            )
    print(f"load average after: {load_average()}")
    print("median ms per request (in brackets the 10th percentile, the least disturbed)")
    print(f"{'kind':12} " + " ".join(f"{name:>18}" for name in roots) + "   ratio   statements")
    for kind in KINDS:
        medians = [statistics.median(results[name]["times"][kind]) for name in roots]
        lows = [statistics.quantiles(results[name]["times"][kind], n=10)[0] for name in roots]
        ratio = f"{medians[-1] / medians[0]:6.2f}" if len(medians) > 1 else "      "
        counts = " / ".join(str(results[name]["statements"][kind]) for name in roots)
        figures = " ".join(f"{median:10.2f} ({low:5.2f})" for median, low in zip(medians, lows, strict=True))
        print(f"{kind:12} {figures}  {ratio}   {counts}")


def prepare_in_child():
    """Django is set up once per process: the preparation runs in its own."""
    found = subprocess.run([sys.executable, __file__, "--prepare-only"], check=False)
    if found.returncode != 0:
        sys.exit("Preparing the data failed.")


if __name__ == "__main__":
    if sys.argv[1:] == ["--prepare-only"]:
        prepare()
    else:
        main()
