"""Benchmark at scale: prints server time and query counts of the main pages and
PDF render times. Not a test: it asserts nothing, it measures.

    make bench                      # SQLite file bench.sqlite3 (created on first run)
    DATABASE_URL=postgres://... make bench

Scale: 70 units x 35 indicators x 3 fiscal years (override with BENCH_UNITS,
BENCH_PER_UNIT, BENCH_YEARS); BENCH_REQUESTS requests per page (default 200).
Times are measured in-process around Django's full request handling (middleware,
view, template, database), without network or a web server in front.
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench.sqlite3'}")

import warnings  # noqa: E402

import django  # noqa: E402

# Bench runs without collectstatic; WhiteNoise serves from the finders.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

django.setup()

from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from indicators.models import Indicator  # noqa: E402

UNITS = int(os.environ.get("BENCH_UNITS", 70))
PER_UNIT = int(os.environ.get("BENCH_PER_UNIT", 35))
YEARS = int(os.environ.get("BENCH_YEARS", 3))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 200))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(client, urls, label):
    """Time REQUESTS GETs cycling through ``urls``; print median, p95 and queries."""
    timings = []
    with CaptureQueriesContext(connection) as queries:
        response = client.get(urls[0])
    assert response.status_code == 200, (label, response.status_code)
    query_count = len(queries)
    for index in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(urls[index % len(urls)])
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    print(
        f"{label:<34} median {statistics.median(timings):7.1f} ms   "
        f"p95 {percentile(timings, 0.95):7.1f} ms   {query_count} queries"
    )


def main():
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", units=UNITS, per_unit=PER_UNIT, years=YEARS, stdout=io.StringIO())
    total = Indicator.objects.count()
    print(
        f"database: {connection.vendor}; {total} indicators ({UNITS} units x {PER_UNIT} x {YEARS} years"
        f" + the seed); set-up {time.perf_counter() - started:.1f} s"
    )

    client = Client()
    client.force_login(django.contrib.auth.get_user_model().objects.get(username="executive"))
    current_year = Indicator.objects.order_by("-fiscal_year__year").values_list(
        "fiscal_year__year", flat=True
    )[0]
    pks = list(Indicator.objects.filter(fiscal_year__year=current_year).values_list("pk", flat=True)[:50])
    seed = Indicator.objects.get(fiscal_year__year=2560, code="0685", org_unit__code="5016")

    measure(client, [f"/indicators/{pk}/" for pk in pks], "detail page (50 sheets)")
    measure(client, [f"/indicators/{seed.pk}/"], "detail page (seed sheet)")
    measure(client, ["/indicators/"], "list, unfiltered, page 1")
    measure(
        client,
        [f"/indicators/?year={current_year}&page={p}" for p in (1, 5, 20)],
        "list, one year, pages 1/5/20",
    )
    measure(client, ["/indicators/?q=ร้องเรียน"], "list, search 'ร้องเรียน'")

    # Rendered each time: the sheet PDF cache (reports/sheet_pdf.py) is emptied before each
    # print; tools/bench_pdf.py measures prints from the cache, beside Chromium.
    pdf_cache = caches["pdf"]
    pdf_cache.clear()
    start = time.perf_counter()
    response = client.get(f"/indicators/{seed.pk}/pdf/")
    first = (time.perf_counter() - start) * 1000
    warm = []
    for _ in range(10):
        pdf_cache.clear()
        start = time.perf_counter()
        response = client.get(f"/indicators/{seed.pk}/pdf/")
        warm.append((time.perf_counter() - start) * 1000)
    pages = len(PdfReader(io.BytesIO(response.content)).pages)
    print(
        f"seed sheet PDF ({pages} pages)           first {first:7.1f} ms   warm median "
        f"{statistics.median(warm):7.1f} ms (min {min(warm):.1f}, max {max(warm):.1f}, 10 renders)"
    )
    warm = []
    for pk in pks[:10]:
        pdf_cache.clear()
        start = time.perf_counter()
        client.get(f"/indicators/{pk}/pdf/")
        warm.append((time.perf_counter() - start) * 1000)
    print(f"generated sheet PDFs (10 sheets)     warm median {statistics.median(warm):7.1f} ms")


if __name__ == "__main__":
    main()
