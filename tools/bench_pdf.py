"""Sheet PDFs side by side with a browser: the portal's print and Chromium's, of the same HTML.

    make bench                      # after tools/bench.py, on its database
    .venv/bin/python tools/bench_pdf.py
    DATABASE_URL=postgres://... .venv/bin/python tools/bench_pdf.py

The reference is Debian's Chromium (``/usr/bin/chromium``, or ``BENCH_CHROMIUM``) kept
open by Playwright: the portal's own HTML of the sheet (the stylesheets and fonts read
from static/) loaded in a page and printed with ``page.pdf()``. Each portal print is
paired with a reference print right after it, ``BENCH_PAIRS`` pairs (default 15),
and the medians of both are compared: a machine shared with others slows both sides
of a pair alike. Each row gives the wall-clock ratio and the CPU-time ratio (the
portal's process against all of Chromium's processes, psutil): on a busy machine
Chromium, spread over several processes, gets more of the cores than the portal's
one thread, and the wall-clock ratio moves with the load; the CPU ratio much less.
The portal is timed around Django's full request handling (access, queries, template,
PDF), the reference around loading and printing only, so the ratio is, if anything,
unfair to the portal.

Rows (each with its goal from issue 12):

- seed sheet / long generated sheet, warm: a first print of the sheet (the PDF cache
  and the footers emptied before each one) in a process that has printed before, this
  sheet too: the Thai line breaks of its texts, worked out once per text and process,
  are known already;
- seed sheet, its texts new: the same with those breaks forgotten too, as in a process
  that has printed other sheets but not this one: the first print of a sheet in a
  worker;
- repeat print, unchanged sheet: printed again by other users in turn, so the footer
  (who printed it, when) differs each time and only the body can come from the cache;
  the footers of these users within this minute are rendered once, so a second row
  has each print's footer rendered anew (a new minute, a new user);
- first print on a fresh process: a new Python process set up as a gunicorn worker
  is (Django, then gunicorn.conf's post_worker_init warm-up), its first PDF against
  its later ones.

Uses the database of tools/bench.py (bench.sqlite3, or DATABASE_URL) and seeds it the
same way. Not a test: it asserts nothing, it measures.
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench.sqlite3'}")
# Playwright's sync API runs an event loop in this thread; the database calls beside it are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import warnings  # noqa: E402

import django  # noqa: E402
import psutil  # noqa: E402

warnings.filterwarnings("ignore", "No directory at", UserWarning)

PAIRS = int(os.environ.get("BENCH_PAIRS", 15))
FRESH_PROCESSES = int(os.environ.get("BENCH_FRESH", 3))
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
UNITS = int(os.environ.get("BENCH_UNITS", 70))
PER_UNIT = int(os.environ.get("BENCH_PER_UNIT", 35))
YEARS = int(os.environ.get("BENCH_YEARS", 3))


class Timing:
    """Wall-clock and CPU milliseconds of one print."""

    def __init__(self, wall: float, cpu: float):
        self.wall, self.cpu = wall, cpu


def in_process(function) -> tuple[Timing, object]:
    """``function()`` timed: wall clock, and CPU time of this process (the portal is
    served in this process: middleware, view, queries, PDF)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return Timing((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000), result


class Chromium:
    """Chromium kept open; ``print(html)`` loads the HTML as a file beside nothing but
    a <base> pointing at static/ (so css/sheet.css and its fonts load as the portal's do)."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self.directory = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM)
        self.page = self.browser.new_page()
        self.count = 0

    @staticmethod
    def cpu_seconds() -> float:
        """CPU time used so far by Chromium's processes (browser, renderers, GPU,
        utilities: children of Playwright's driver, itself a child of this process)."""
        total = 0.0
        for process in psutil.Process().children(recursive=True):
            try:
                if "chrom" in process.name().lower():
                    times = process.cpu_times()
                    total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return total

    def timed_print(self, html: str) -> tuple[Timing, bytes]:
        """The print timed: wall clock, and CPU time of all of Chromium's processes."""
        cpu = self.cpu_seconds()
        wall = time.perf_counter()
        pdf = self.print(html)
        wall_ms = (time.perf_counter() - wall) * 1000
        return Timing(wall_ms, (self.cpu_seconds() - cpu) * 1000), pdf

    def print(self, html: str) -> bytes:
        from reports.printing.render import STATIC_DIR_URI

        self.count += 1
        path = self.directory / f"sheet-{self.count}.html"
        path.write_text(html.replace("<head>", f'<head><base href="{STATIC_DIR_URI}">', 1), encoding="utf-8")
        self.page.goto(path.as_uri(), wait_until="load")
        pdf = self.page.pdf(format="A4", prefer_css_page_size=True)
        path.unlink()
        return pdf

    def close(self):
        self.browser.close()
        self.playwright.stop()


HEADER = f"{'':<36} {'portal':>10} {'reference':>10} {'ratio':>6}  {'CPU ratio':>9}   goal"


def row(label, portal, reference, goal, note=""):
    """One row: medians of wall-clock milliseconds, their ratio, and the ratio of CPU
    times (steadier on a busy machine, where Chromium's several processes get more of
    the cores than the portal's one thread)."""
    ratio = portal.wall / reference.wall if reference.wall else float("nan")
    cpu_ratio = portal.cpu / reference.cpu if reference.cpu else float("nan")
    print(
        f"{label:<36} {portal.wall:7.1f} ms {reference.wall:7.1f} ms {ratio:5.2f}x  {cpu_ratio:8.2f}x"
        f"   {goal}{note}"
    )


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


def paired(portal, reference) -> tuple[Timing, Timing]:
    """Medians of PAIRS interleaved (portal, reference) timings."""
    portal_timings, reference_timings = [], []
    for _ in range(PAIRS):
        portal_timings.append(portal())
        reference_timings.append(reference())
    return median(portal_timings), median(reference_timings)


FRESH_SCRIPT = """
import runpy, sys, time, warnings
sys.path.insert(0, {root!r})
sys.argv = ["bench-fresh-worker"]
warnings.filterwarnings("ignore", "No directory at", UserWarning)
# What a gunicorn worker does before its first request: load the WSGI application,
# then post_worker_init's warm-up.
from kpi_portal.wsgi import application
runpy.run_path({conf!r})["warm_up_renderer"]()
from django.contrib.auth import get_user_model
from django.test import Client
sys.path.insert(0, {tools!r})
from bench_pdf import clear_pdf_cache
client = Client()
# The WSGI application gunicorn serves loaded its middleware when it was imported; the
# test client's own handler loads it on its first request: loaded here, as gunicorn's was.
client.handler.load_middleware()
client.force_login(get_user_model().objects.get(username={user!r}))
timings = []
for _ in range(4):
    clear_pdf_cache()
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get({url!r})
    timings += [(time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000]
    assert response.status_code == 200, response.status_code
print(" ".join(f"{{t:.1f}}" for t in timings))
"""


def clear_pdf_cache():
    """Empty the sheet PDF cache, where there is one, so that the next print renders
    everything: the body and its footer."""
    from django.conf import settings
    from django.core.cache import caches

    if "pdf" in settings.CACHES:
        caches["pdf"].clear()
    clear_footers()


def clear_text_caches():
    """Forget the Thai line breaks worked out per text (reports/printing/thai_breaks.py):
    the next print lays out its texts as a process that never printed them does."""
    try:
        from reports.printing import thai_breaks
    except ImportError:
        return
    for cached in ("_cached_unbreakable_spans", "_cached_pango_ranges"):
        if hasattr(thai_breaks, cached):
            getattr(thai_breaks, cached).cache_clear()


def clear_footers():
    """Forget the footers rendered (reports/printing/footer.py): the next print's
    footer is new, as when its user, or the minute, is."""
    try:
        from reports.printing.footer import footer_pdf
    except ImportError:
        return
    footer_pdf.cache_clear()


def fresh_process_timings(url: str, user: str) -> list[Timing]:
    """In a new process set up as a gunicorn worker: its first print and three later ones."""
    script = FRESH_SCRIPT.format(
        root=str(ROOT), conf=str(ROOT / "gunicorn.conf.py"), tools=str(ROOT / "tools"), user=user, url=url
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    values = [float(value) for value in output.split()[-8:]]
    return [Timing(wall, cpu) for wall, cpu in zip(values[::2], values[1::2], strict=True)]


def main():
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils.translation import override

    from indicators.models import Indicator
    from reports.printing.render import sheet_html
    from reports.sheet import build_sheet, sheet_queryset

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Indicator.objects.filter(fiscal_year__year=2560, code="0685", org_unit__code="5016").exists():
        call_command("seed_demo", units=UNITS, per_unit=PER_UNIT, years=YEARS, stdout=io.StringIO())
    print(
        f"database: {connection.vendor}; {Indicator.objects.count()} indicators; "
        f"set-up {time.perf_counter() - started:.1f} s; {PAIRS} interleaved pairs per row; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    seed = Indicator.objects.get(fiscal_year__year=2560, code="0685", org_unit__code="5016")
    # The long generated sheet: the generated indicator of the latest year with the most text.
    year = Indicator.objects.order_by("-fiscal_year__year").values_list("fiscal_year__year", flat=True)[0]
    candidates = list(sheet_queryset().select_related("annual_summary").filter(fiscal_year__year=year)[:300])
    with override("th"):
        long_sheet = max(candidates, key=lambda indicator: len(sheet_html(build_sheet(indicator))))

    users = get_user_model().objects.filter(username__in=["executive", "admin", "auditor", "staff"])
    clients = {}
    for user in users:
        client = Client()
        client.force_login(user)
        # Roles whose sign-in asks for a second factor are redirected: left out.
        if client.get(f"/indicators/{seed.pk}/pdf/").status_code == 200:
            clients[user.username] = client
    executive = clients["executive"]
    clients = list(clients.values())

    def html_of(indicator):
        with override("th"):
            fetched = sheet_queryset().select_related("annual_summary").get(pk=indicator.pk)
            return sheet_html(build_sheet(fetched))

    chromium = Chromium()
    try:
        print(HEADER)
        sheets = (
            ("seed sheet PDF, warm", seed, False),
            ("seed sheet PDF, its texts new", seed, True),
            ("long generated sheet PDF, warm", long_sheet, False),
        )
        for label, indicator, texts_new in sheets:
            url = f"/indicators/{indicator.pk}/pdf/"
            html = html_of(indicator)
            response = executive.get(url)  # warm: this process has printed the sheet before
            chromium.print(html)

            def portal(url=url, texts_new=texts_new):
                clear_pdf_cache()
                if texts_new:
                    clear_text_caches()
                timing, response = in_process(lambda: executive.get(url))
                assert response.status_code == 200, response.status_code
                return timing

            def reference(html=html):
                return chromium.timed_print(html)[0]

            portal_timing, reference_timing = paired(portal, reference)
            note = f"  ({pages(response.content)} pages; Chromium {pages(chromium.print(html))})"
            row(label, portal_timing, reference_timing, "goal <= 1.5x (stretch 1.0x)", note)
            if indicator is seed and not texts_new:
                seed_reference = reference_timing

        url = f"/indicators/{seed.pk}/pdf/"
        executive.get(url)  # the body in the cache
        turn = iter(range(10**9))

        def repeat():
            client = clients[next(turn) % len(clients)]  # another user than the last print's
            timing, response = in_process(lambda: client.get(url))
            assert response.status_code == 200, response.status_code
            return timing

        html = html_of(seed)

        def reference():
            return chromium.timed_print(html)[0]

        portal_timing, reference_timing = paired(repeat, reference)
        row(
            "repeat print, unchanged seed sheet",
            portal_timing,
            reference_timing,
            "goal <= 0.1x Chromium warm",
            f"  ({len(clients)} users in turn, within the minute)",
        )

        def repeat_new_footer():
            clear_footers()
            return repeat()

        portal_timing, reference_timing = paired(repeat_new_footer, reference)
        row(
            "repeat print, its footer new",
            portal_timing,
            reference_timing,
            "goal <= 0.1x Chromium warm",
            "  (another minute: the footer rendered)",
        )
    finally:
        chromium.close()

    firsts, laters = [], []
    for _ in range(FRESH_PROCESSES):
        timings = fresh_process_timings(url, "executive")
        firsts.append(timings[0])
        laters.extend(timings[1:])
    first, later = median(firsts), median(laters)
    row(
        "first print, fresh worker vs later",
        first,
        later,
        "goal <= 1.5x (no first-request penalty)",
        f"  ({FRESH_PROCESSES} processes; the reference here: the same process's later prints;"
        f" vs Chromium warm {first.wall / seed_reference.wall:.2f}x)",
    )


if __name__ == "__main__":
    main()
