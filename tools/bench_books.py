"""Benchmark books at scale, as ratios measured side by side in one run (asserts
nothing): a book built by two worker processes against one, a rebuild after 5% of
its indicators changed against the full build, and the peak memory of the worker
that assembles a fiscal year's book. Uses the database of tools/bench.py (run that
first, or `make bench`): bench.sqlite3, or DATABASE_URL.

    BENCH_BOOK_YEAR=2570 BENCH_BOOK_SHEETS=250 .venv/bin/python tools/bench_books.py

BENCH_BOOK_SHEETS takes the first so many indicators of the year for the build
ratios (default: all); the assembly row always assembles a book as long as the
fiscal year, from the sheets rendered (each used as often as needed), unless
BENCH_BOOK_ASSEMBLY=0 leaves it out.

    .venv/bin/python tools/bench_books.py --assembly-only

prints only the assembly row (peak memory and time of the assembling worker), from
the sheets an earlier run rendered: a couple of minutes rather than half an hour.

The builds are timed as production runs them: by workers already running (``book_worker``
without ``--once``, as deploy/systemd starts them), started before any timing and warmed up
(each prints a sheet at start, then sits idle), the same for the full build and the
rebuild (three rebuilds, each after another 5% changed: the median). Each is timed from
the order to the finished book, the workers' wait for new tasks included (on PostgreSQL
they are woken by the order; elsewhere they poll every second); "nothing cached" means
no rendered sheet and no rendered front matter. The cold figure is printed too: a
rebuild by worker processes started for it (``--once``), paying imports and the
renderer's start-up (timed until the book is done). The bench's workers run the reminder
pass once, at start-up (REMINDER_INTERVAL_SECONDS of an hour), so that none lands inside
a timed build.
"""

import os
import signal
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
from reports.books.assembly import FRONT_MATTER_DIR  # noqa: E402
from reports.books.ordering import order_book  # noqa: E402
from reports.books.queue import queue_assembly  # noqa: E402
from reports.models import Book, BookChunk, SheetRender  # noqa: E402

GOALS = {"workers": 1.8, "rebuild": 0.1, "memory": 400}


def clear_renders():
    for render in SheetRender.objects.all().iterator():
        render.file.delete(save=False)
    SheetRender.objects.all().delete()
    storage = Book._meta.get_field("file").storage
    if storage.exists(FRONT_MATTER_DIR):
        for name in storage.listdir(FRONT_MATTER_DIR)[1]:
            storage.delete(f"{FRONT_MATTER_DIR}/{name}")


def executive():
    return get_user_model().objects.get(username="executive")


def run_workers(book, workers: int, label: str) -> dict:
    """Run ``workers`` worker processes until they have nothing left to do: seconds
    until the sheets were rendered and until the book was done (not until the processes
    exited: after its tasks a worker runs its first reminder pass); peak memory per worker."""
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "book_worker", "--once", "-v", "0", "--worker-id"]
    processes = [
        subprocess.Popen([*command, f"bench-{label}-{n}"], cwd=ROOT, env=os.environ) for n in range(workers)
    ]
    rendered_at = done_at = None
    peaks, cpu, pending = [], [], {process.pid: process for process in processes}
    while pending:
        if done_at is None:
            book.refresh_from_db()
            if rendered_at is None and book.status != Book.Status.RENDERING:
                rendered_at = time.perf_counter()
            if book.status in (Book.Status.DONE, Book.Status.FAILED):
                done_at = time.perf_counter()
        pid, _status, usage = os.wait4(-1, os.WNOHANG)
        if pid in pending:
            del pending[pid]
            peaks.append(usage.ru_maxrss / 1024)  # kB on Linux -> MB
            cpu.append(usage.ru_utime + usage.ru_stime)
        else:
            time.sleep(0.05)
    finished = time.perf_counter()
    book.refresh_from_db()
    result = {
        "render": (rendered_at or finished) - started,
        "total": (done_at or finished) - started,
        "peaks": peaks,
        "cpu": sum(cpu),
    }
    report(label, book, result)
    return result


def report(label: str, book: Book, result: dict) -> None:
    print(
        f"  {label:<30} {book.total} sheets ({book.reused} reused), {book.page_count} pages: rendered in "
        f"{result['render']:6.1f} s, done in {result['total']:6.1f} s ({book.status}); "
        f"CPU {result['cpu']:.1f} s; peak memory per worker: "
        + ", ".join(f"{peak:.0f} MB" for peak in result["peaks"])
        + f"; load average {os.getloadavg()[0]:.2f}"
    )


def order(ids) -> Book:
    # The same title each time: a rebuild is the same book ordered again.
    return order_book(executive(), ids, f"bench {len(ids)} sheets")


def build(ids, workers: int, label: str) -> dict:
    """The book built by worker processes started for it (``--once``): cold."""
    return run_workers(order(ids), workers, label)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class WarmWorkers:
    """``count`` book_worker processes running as in production, started and warmed up
    (each has printed its warm-up sheet and gone idle) before anything is timed."""

    def __init__(self, count: int, label: str):
        env = {**os.environ, "REMINDER_INTERVAL_SECONDS": "3600"}
        command = [sys.executable, "manage.py", "book_worker", "-v", "0", "--worker-id"]
        started = time.perf_counter()
        self.processes = [
            subprocess.Popen([*command, f"bench-warm-{label}-{n}"], cwd=ROOT, env=env) for n in range(count)
        ]
        self.wait_idle()
        print(f"  {count} warm worker(s) started and idle after {time.perf_counter() - started:.1f} s")

    def wait_idle(self, quiet_seconds: float = 1.0, timeout: float = 300) -> None:
        """Until no worker used more than a few percent of a core for ``quiet_seconds``:
        imports, warm-up and the first reminder pass done, polling the queue."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = [cpu_seconds(process.pid) for process in self.processes]
            time.sleep(quiet_seconds)
            after = [cpu_seconds(process.pid) for process in self.processes]
            if max(b - a for a, b in zip(before, after, strict=True)) < 0.05 * quiet_seconds:
                return
        raise RuntimeError("the book workers did not go idle")

    def build(self, ids, label: str) -> dict:
        """The book ordered and waited for: seconds until its sheets were rendered and
        until it was done; the CPU the workers used meanwhile, their peak memory."""
        cpu_before = sum(cpu_seconds(process.pid) for process in self.processes)
        started = time.perf_counter()
        book = order(ids)
        rendered_at = None
        while book.status not in (Book.Status.DONE, Book.Status.FAILED):
            time.sleep(0.05)
            book.refresh_from_db()
            if rendered_at is None and book.status != Book.Status.RENDERING:
                rendered_at = time.perf_counter()
        finished = time.perf_counter()
        result = {
            "render": (rendered_at or finished) - started,
            "total": finished - started,
            "peaks": [peak_mb(process.pid) for process in self.processes],
            "cpu": sum(cpu_seconds(process.pid) for process in self.processes) - cpu_before,
        }
        report(label, book, result)
        self.wait_idle()
        return result

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)


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


def change(ids, offset: int) -> int:
    """5% of the indicators changed (their calculation method), every 20th from ``offset``."""
    changed = ids[offset::20]
    for indicator in Indicator.objects.filter(pk__in=changed):
        indicator.calculation_method += " (ปรับปรุง)"
        indicator.save()
    return len(changed)


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

    print("Workers running as in production, warmed up before timing:")
    clear_renders()
    workers = WarmWorkers(1, "one")
    try:
        one = workers.build(ids, "1 worker, nothing cached")
    finally:
        workers.stop()
    clear_renders()
    workers = WarmWorkers(2, "two")
    try:
        two = workers.build(ids, "2 workers, nothing cached")
        # Three times, each after another 5% changed: the median.
        rebuilds = [workers.build(ids, f"2 workers, {change(ids, offset)} changed") for offset in (0, 5, 10)]
        rebuild = sorted(rebuilds, key=lambda result: result["total"])[1]
    finally:
        workers.stop()
    print("Workers started for the build (--once), cold:")
    cold = build(ids, 2, f"2 workers, {change(ids, 15)} changed")
    assembly = assemble_only(year_ids) if os.environ.get("BENCH_BOOK_ASSEMBLY", "1") != "0" else None

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
        "rebuild after 5% changed vs full build (2 warm workers)",
        f"{ratio:.3f}x",
        f"<= {GOALS['rebuild']}x",
        ratio <= GOALS["rebuild"],
    )
    row(
        "  the same rebuilt by workers started for it (cold)",
        f"{cold['total'] / two['total']:.3f}x",
        "",
        True,
    )
    row(
        "  rebuild, warm workers, seconds (median of 3)",
        f"{rebuild['total']:.1f} s",
        "",
        True,
    )
    cpu_ratio = rebuild["cpu"] / two["cpu"]
    row("  CPU seconds of the rebuild vs the full build's", f"{cpu_ratio:.3f}x", "", True)
    row("  rebuild, cold workers, seconds", f"{cold['total']:.1f} s", "", True)
    if assembly is not None:
        print_assembly(assembly, len(year_ids))
    row("  peak of a worker that rendered and assembled", f"{max(two['peaks']):.0f} MB", "", True)


if __name__ == "__main__":
    main()
