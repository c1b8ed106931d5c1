"""Queueing the book pipeline's tasks. The tasks are reports.tasks' (which imports this
package): they are looked up by name when queued, so that no import runs in a circle.

On PostgreSQL a queued task also wakes idle book workers at once (NOTIFY, delivered when
the transaction that queued it commits; ``wait_for_tasks``), so that a book, or a rebuild
taking a few seconds, does not wait for their next poll; elsewhere they poll."""

import select
import time

from django.db import connections
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from reports.models import BookChunk

RENDER_CHUNK_TASK = "reports.tasks.render_book_chunk"
ASSEMBLE_TASK = "reports.tasks.assemble_book"
CHANNEL = "kpi_book_tasks"
# How soon an idle worker notices that it was asked to stop.
STOP_CHECK_SECONDS = 1.0


def queue_chunk(chunk_id: int, notify: bool = True) -> None:
    """``notify=False`` when the caller queues several and wakes the workers once after."""
    import_string(RENDER_CHUNK_TASK).enqueue(chunk_id)
    if notify:
        notify_workers()


def queue_assembly(book_id: int) -> None:
    import_string(ASSEMBLE_TASK).enqueue(book_id)
    notify_workers()


def tasks_connection():
    return connections[DBTaskResult.objects.db]


def notify_workers() -> None:
    connection = tasks_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")  # several in one transaction are delivered once


def wait_for_tasks(seconds: float, stopping=lambda: False) -> None:
    """Wait up to ``seconds`` for a task to be queued: on PostgreSQL until a NOTIFY (or a
    task already waiting), elsewhere a plain sleep; either way no longer than a second
    after ``stopping()`` turns true (a signal asked the worker to stop). Listening starts
    here, after the worker last looked for tasks: a task queued in between is found by the
    check below."""
    deadline = time.monotonic() + seconds
    connection = tasks_connection()
    raw = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")  # again after each reconnection; otherwise a no-op
        raw = connection.connection
        raw.notifies.clear()
        if DBTaskResult.objects.ready().exists():
            return
    while not stopping():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        if raw is None:
            time.sleep(min(remaining, STOP_CHECK_SECONDS))
            continue
        readable, _, _ = select.select([raw], [], [], min(remaining, STOP_CHECK_SECONDS))
        if readable:
            try:
                raw.poll()
            except connection.Database.Error:
                # The server closed the connection (restarted, or ended it): sleep out the
                # wait; the worker's next query connects again.
                connection.close()
                raw = None
                continue
            if raw.notifies:
                raw.notifies.clear()
                return


def chunk_label(chunk: BookChunk) -> str:
    """How the log names a chunk: "Book 12 part 2/3 (25 sheets)"."""
    parts = BookChunk.objects.filter(book_id=chunk.book_id).count()
    return f"Book {chunk.book_id} part {chunk.index + 1}/{parts} ({len(chunk.indicator_ids)} sheets)"
