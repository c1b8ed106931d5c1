"""Benchmark books at scale, as ratios measured side by side in one run (asserts
nothing): a book built by two worker processes against one, a rebuild after 5% of
its indicators changed against the full build, and the peak memory of the worker
that assembles a fiscal year's book. Uses the database of tools/bench.py (run that
first, or `make bench`): bench.sqlite3, or DATABASE_URL.

    BENCH_BOOK_YEAR=2570 BENCH_BOOK_SHEETS=250 .venv/bin/python tools/bench_books.py

BENCH_BOOK_SHEETS takes the first so many indicators of the year for the build
ratios (default: all); the assembly row always assembles a book as long as the
fiscal year, from the sheets rendered (each used as often as needed).

    .venv/bin/python tools/bench_books.py --assembly-only

prints only the assembly row (peak memory and time of the assembling worker), from
the sheets an earlier run rendered: a couple of minutes rather than half an hour.
"""

import os
import subprocess
import sys
import time
from itertools import cycle, islice
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
from reports.books.queue import queue_assembly  # noqa: E402
from reports.models import Book, BookChunk, SheetRender  # noqa: E402

GOALS = {"workers": 1.8, "rebuild": 0.1, "memory": 400}


def clear_renders():
    for render in SheetRender.objects.all().iterator():
        render.file.delete(save=False)
    SheetRender.objects.all().delete()


def executive():
    return get_user_model().objects.get(username="executive")


def run_workers(book, workers: int, label: str) -> dict:
    """Run ``workers`` worker processes until they have nothing left to do: seconds
    until the sheets were rendered and until the book was done; peak memory per worker."""
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "book_worker", "--once", "-v", "0", "--worker-id"]
    processes = [
        subprocess.Popen([*command, f"bench-{label}-{n}"], cwd=ROOT, env=os.environ) for n in range(workers)
    ]
    rendered_at, peaks, cpu, pending = None, [], [], {process.pid: process for process in processes}
    while pending:
        if rendered_at is None:
            book.refresh_from_db()
            if book.status in (Book.Status.ASSEMBLING, Book.Status.DONE):
                rendered_at = time.perf_counter()
        pid, _status, usage = os.wait4(-1, os.WNOHANG)
        if pid in pending:
            del pending[pid]
            peaks.append(usage.ru_maxrss / 1024)  # kB on Linux -> MB
            cpu.append(usage.ru_utime + usage.ru_stime)
        else:
            time.sleep(0.1)
    finished = time.perf_counter()
    book.refresh_from_db()
    result = {
        "render": (rendered_at or finished) - started,
        "total": finished - started,
        "peaks": peaks,
        "cpu": sum(cpu),
    }
    print(
        f"  {label:<26} {book.total} sheets ({book.reused} reused), {book.page_count} pages: rendered in "
        f"{result['render']:6.1f} s, done in {result['total']:6.1f} s ({book.status}); "
        f"CPU {result['cpu']:.1f} s; peak memory per worker: " + ", ".join(f"{peak:.0f} MB" for peak in peaks)
    )
    return result


def build(ids, workers: int, label: str) -> dict:
    # The same title each time: a rebuild is the same book ordered again.
    return run_workers(order_book(executive(), ids, f"bench {len(ids)} sheets"), workers, label)


def assemble_only(year_ids) -> dict:
    """A book as long as the fiscal year, its sheets already rendered, assembled by one
    fresh worker process."""
    renders = list(SheetRender.objects.values_list("pk", flat=True))
    render_ids = list(islice(cycle(renders), len(year_ids)))
    book = Book.objects.create(
        title="bench assembly",
        indicator_ids=year_ids,
        ordered_by=executive(),
        total=len(year_ids),
        status=Book.Status.ASSEMBLING,
    )
    BookChunk.objects.create(
        book=book, index=0, indicator_ids=year_ids, status=BookChunk.Status.DONE, render_ids=render_ids
    )
    queue_assembly(book.pk)
    return run_workers(book, 1, "assembly only")


def row(measure: str, value: str, goal: str, met: bool):
    print(f"{measure:<58} {value:>12}   goal {goal:<10} {'met' if met else 'NOT met'}")


def print_assembly(assembly: dict, sheets: int):
    peak = max(assembly["peaks"])
    row(
        f"assembling worker's peak, {sheets}-sheet book",
        f"{peak:.0f} MB",
        f"<= {GOALS['memory']} MB",
        peak <= GOALS["memory"],
    )
    row("  assembly alone, seconds", f"{assembly['total']:.1f} s", "", True)


def main():
    year = int(
        os.environ.get("BENCH_BOOK_YEAR") or Indicator.objects.aggregate(y=Max("fiscal_year__year"))["y"]
    )
    year_ids = list(Indicator.objects.for_list().filter(fiscal_year__year=year).values_list("pk", flat=True))
    ids = year_ids[: int(os.environ.get("BENCH_BOOK_SHEETS") or len(year_ids))]
    print(
        f"fiscal year {year}: {len(year_ids)} indicators; books of {len(ids)}; "
        f"chunks of {os.environ.get('BOOK_CHUNK_SIZE', 25)}"
    )

    if "--assembly-only" in sys.argv[1:]:
        print_assembly(assemble_only(year_ids), len(year_ids))
        return

    clear_renders()
    one = build(ids, 1, "1 worker, nothing cached")
    clear_renders()
    two = build(ids, 2, "2 workers, nothing cached")
    # 5% of the indicators change (their calculation method), then the same book again.
    changed = ids[::20]
    for indicator in Indicator.objects.filter(pk__in=changed):
        indicator.calculation_method += " (ปรับปรุง)"
        indicator.save()
    rebuild = build(ids, 2, f"2 workers, {len(changed)} changed")
    assembly = assemble_only(year_ids)

    print()
    speedup = one["total"] / two["total"]
    row(
        "fiscal-year book, 2 workers vs 1 (whole build)",
        f"{speedup:.2f}x",
        f">= {GOALS['workers']}x",
        speedup >= GOALS["workers"],
    )
    render_speedup = one["render"] / two["render"]
    row(
        "  the rendering alone, 2 workers vs 1",
        f"{render_speedup:.2f}x",
        "",
        render_speedup >= GOALS["workers"],
    )
    # On a machine shared with other work, two processes may not get two cores: the
    # CPU time they used tells whether the work itself was split, or the machine full.
    cores = two["cpu"] / two["total"]
    row("  CPU seconds used per second, 2 workers", f"{cores:.2f}", "~2 if free", True)
    ratio = rebuild["total"] / two["total"]
    row(
        "rebuild after 5% changed vs full build (2 workers)",
        f"{ratio:.3f}x",
        f"<= {GOALS['rebuild']}x",
        ratio <= GOALS["rebuild"],
    )
    print_assembly(assembly, len(year_ids))
    row("  peak of a worker that rendered and assembled", f"{max(two['peaks']):.0f} MB", "", True)


if __name__ == "__main__":
    main()
