"""Benchmark books at scale: sheets per second with one and two worker processes,
peak memory per worker, and rebuilding after 5% of the indicators changed.
Prints figures, asserts nothing. Uses the database of tools/bench.py (run that
first, or `make bench`): bench.sqlite3, or DATABASE_URL.

    BENCH_BOOK_YEAR=2570 .venv/bin/python tools/bench_books.py
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench.sqlite3'}")
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(ROOT / "bench-media"))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Max  # noqa: E402

from indicators.models import Indicator  # noqa: E402
from reports.books.ordering import order_book  # noqa: E402
from reports.models import Book, SheetRender  # noqa: E402


def clear_renders():
    for render in SheetRender.objects.all().iterator():
        render.file.delete(save=False)
    SheetRender.objects.all().delete()


def build(ids, workers: int, label: str):
    """Order a book of ``ids``, run ``workers`` worker processes until it is done."""
    executive = get_user_model().objects.get(username="executive")
    book = order_book(executive, ids, f"bench {label}")
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "book_worker",
                "--once",
                "--worker-id",
                f"bench-{label}-{n}",
                "-v",
                "0",
            ],
            cwd=ROOT,
            env=os.environ,
        )
        for n in range(workers)
    ]
    rendered_at = None
    peaks = []
    pending = {process.pid: process for process in processes}
    while pending:
        if rendered_at is None:
            book.refresh_from_db()
            if book.status in (Book.Status.ASSEMBLING, Book.Status.DONE):
                rendered_at = time.perf_counter()
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid in pending:
            del pending[pid]
            peaks.append(usage.ru_maxrss / 1024)  # kB on Linux -> MB
        else:
            time.sleep(0.2)
    finished = time.perf_counter()
    book.refresh_from_db()
    rendered_at = rendered_at or finished
    render_seconds = rendered_at - started
    print(
        f"{label:<28} {book.total} sheets ({book.reused} reused), {book.page_count} pages: "
        f"rendering {render_seconds:6.1f} s = {book.total / render_seconds:5.1f} sheets/s; "
        f"with assembly {finished - started:6.1f} s; status {book.status}"
    )
    print(f"{'':<28} peak memory per worker: " + ", ".join(f"{peak:.0f} MB" for peak in peaks))
    return book


def main():
    year = int(
        os.environ.get("BENCH_BOOK_YEAR") or Indicator.objects.aggregate(y=Max("fiscal_year__year"))["y"]
    )
    ids = list(Indicator.objects.for_list().filter(fiscal_year__year=year).values_list("pk", flat=True))
    print(f"fiscal year {year}: {len(ids)} indicators; chunks of {os.environ.get('BOOK_CHUNK_SIZE', 25)}")

    clear_renders()
    build(ids, 1, "1 worker, nothing cached")
    clear_renders()
    build(ids, 2, "2 workers, nothing cached")

    # 5% of the indicators change (their calculation method), then the same book again.
    changed = ids[::20]
    for indicator in Indicator.objects.filter(pk__in=changed):
        indicator.calculation_method += " (ปรับปรุง)"
        indicator.save()
    build(ids, 2, f"2 workers, {len(changed)} changed")


if __name__ == "__main__":
    main()
