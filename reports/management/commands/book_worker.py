import logging
import os
import signal
import socket
import time

from django.core.management.base import BaseCommand
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from reports import printing, workers
from reports.books import queue, recovery, rendering
from reports.notifications.worker import NotificationDuty

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class BookWorker(Worker):
    """django-tasks-db's worker, stopped by the first SIGTERM or SIGINT after the
    sheet it is rendering, not after the whole task (a chunk of up to 25 sheets):
    the chunk is handed back to the queue (``reports.books.recovery.hand_back``)."""

    def configure_signals(self) -> None:
        self.previous_handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.shutdown)

    def restore_signals(self) -> None:
        for signum, handler in self.previous_handlers.items():
            signal.signal(signum, handler)

    def run_task(self, db_task_result) -> None:
        workers.beat(self.worker_id)
        super().run_task(db_task_result)

    def shutdown(self, signum, frame) -> None:
        # Only flags are set, and the code the signal interrupted runs on to the end
        # of its sheet. (db_worker's handler runs the whole task, and on a second
        # signal raises SystemExit, which the task swallows as its own failure.)
        name = signal.Signals(signum).name
        if not self.running:
            logger.info("%s received: already stopping after the current sheet", name)
            return
        logger.info("%s received: stopping after the current sheet", name)
        self.running = False
        rendering.worker_stop.requested = True


class Command(BaseCommand):
    help = (
        "Run a background worker for books: hand chunks of dead workers back to the queue, "
        "then run django-tasks-db's worker over all queued tasks; send the mails due and, every "
        "REMINDER_INTERVAL_SECONDS, run the reminder pass; repeat. SIGTERM or Ctrl+C "
        "stops it after the current sheet, handing its chunk back to the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker-id",
            default=f"{socket.gethostname()}-{os.getpid()}",
            help="a name that stays the same across restarts lets a restarted worker take its chunks back "
            "at once (default: host-pid)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--nice",
            type=int,
            default=int(os.environ.get("BOOK_WORKER_NICE", "10")),
            help="run at least this nice (0-19; default BOOK_WORKER_NICE or 10): books give way to "
            "the web server's requests on a shared machine",
        )

    def handle(self, *args, worker_id, interval, once, nice, **options):
        configure_logging(options["verbosity"])
        give_way(nice)
        rendering.worker_stop.requested = False
        worker = BookWorker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=True,  # run what is queued, then come back here to recover and wait
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        notifications = NotificationDuty()
        if not once:
            warm_up()
        logger.info("Book worker %r started (process %d)", worker_id, os.getpid())
        workers.started(worker_id)
        try:
            while worker.running:
                workers.beat(worker_id)
                recovery.recover_stalled_chunks(worker_id)
                recovery.recover_stalled_assemblies(worker_id)
                worker.run()
                notifications.tick()
                if once:
                    break
                # Woken by a queued task (on PostgreSQL), else after `interval`; an idle
                # worker asked to stop stops within a second.
                queue.wait_for_tasks(interval, stopping=lambda: not worker.running)
        finally:
            worker.restore_signals()
            rendering.worker_stop.requested = False
            workers.stopped(worker_id)
        logger.info("Book worker %r stopped", worker_id)


def give_way(nice: int) -> None:
    """Lower this process's CPU priority to ``nice`` unless it is lower already (systemd's
    Nice=, or `nice`): a book of hundreds of sheets is CPU-bound for minutes, and where
    the book workers share cores with gunicorn (one server, or the quarter-end peak) the
    autosaves and pages must not wait behind it. The book still gets every core nobody
    else wants. Never raises the priority (that needs privileges, and an operator's
    higher niceness stands)."""
    nice = max(0, min(nice, 19))
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if nice > current:
        os.setpriority(os.PRIO_PROCESS, 0, nice)


def warm_up() -> None:
    """Print a sheet before the first task (reports.printing.warm_up, as gunicorn's workers
    do): fonts, renderer and templates loaded, so that a fresh worker's first sheet takes
    as long as the next, not a few seconds more. A batch run (--once) skips it: it renders
    what is queued at once. A failure is logged, never stops the worker."""
    started = time.monotonic()
    try:
        printing.warm_up()
    except Exception:
        logger.exception("Warming the renderer up failed; the first sheet will be slower")
        return
    logger.info("Renderer warmed up in %.1f s", time.monotonic() - started)


def configure_logging(verbosity: int) -> None:
    """-v 1: what the worker does with books, in words (INFO); -v 2: also every task
    and poll of django-tasks; -v 0: warnings and errors only."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.getLogger("reports").setLevel(level)
    for name in ("django_tasks", "django_tasks_db"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
