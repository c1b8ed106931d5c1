"""Chunks and assemblies whose worker stopped or died go back to the queue; the tasks a
dead worker left "running" are marked failed."""

import logging
from traceback import format_exception_only

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reports.books import WorkerLost
from reports.books.queue import ASSEMBLE_TASK, RENDER_CHUNK_TASK, chunk_label, queue_assembly, queue_chunk
from reports.models import Book, BookChunk

logger = logging.getLogger(__name__)


def requeue(chunks, chunk_id: int, **changes) -> bool:
    """Make the running chunk selected by ``chunks`` pending again, with a new task
    for it; False when the selection no longer matches (someone else moved it)."""
    with transaction.atomic():
        released = chunks.update(status=BookChunk.Status.PENDING, worker="", lease_until=None, **changes)
        if released:
            queue_chunk(chunk_id)
    return bool(released)


def hand_back(chunk: BookChunk, worker: str) -> bool:
    """Queue ``worker``'s chunk again at once because the worker is stopping. Not a
    failed attempt; the sheets it did are reused by whoever takes the chunk."""
    held = BookChunk.objects.filter(pk=chunk.pk, status=BookChunk.Status.RUNNING, worker=worker)
    return requeue(held, chunk.pk, attempts=F("attempts") - 1)


def recover_stalled_chunks(worker: str = "") -> int:
    """Queue again the chunks whose worker died: lease run out, or held by ``worker``,
    which calls this between tasks and so holds nothing now (it has restarted).
    Returns how many."""
    now = timezone.now()
    stalled = Q(lease_until__lt=now)
    if worker:
        stalled |= Q(worker=worker)
    recovered = 0
    for chunk in BookChunk.objects.filter(status=BookChunk.Status.RUNNING).filter(stalled):
        held = BookChunk.objects.filter(
            pk=chunk.pk, status=BookChunk.Status.RUNNING, worker=chunk.worker, lease_until=chunk.lease_until
        )
        if requeue(held, chunk.pk):
            recovered += 1
            logger.warning(
                "%s: queued again, as its worker %r %s",
                chunk_label(chunk),
                chunk.worker,
                "has restarted" if chunk.worker == worker else "stopped renewing its lease",
            )
            fail_abandoned_tasks(chunk.worker, chunk_id=chunk.pk)
    if worker:
        fail_abandoned_tasks(worker)
    return recovered


def recover_stalled_assemblies(worker: str = "") -> int:
    """Queue again the assemblies whose worker died (lease run out, or held by
    ``worker``, restarted: it calls this between tasks). Returns how many."""
    stalled = Q(assembly_lease_until__lt=timezone.now())
    if worker:
        stalled |= Q(assembler=worker)
    recovered = 0
    for book in Book.objects.filter(status=Book.Status.ASSEMBLING).exclude(assembler="").filter(stalled):
        with transaction.atomic():
            released = Book.objects.filter(
                pk=book.pk,
                status=Book.Status.ASSEMBLING,
                assembler=book.assembler,
                assembly_lease_until=book.assembly_lease_until,
            ).update(assembler="", assembly_lease_until=None)
            if released:
                queue_assembly(book.pk)
        if released:
            recovered += 1
            logger.warning(
                "Book %d: assembly queued again, as its worker %r %s",
                book.pk,
                book.assembler,
                "has restarted" if book.assembler == worker else "stopped renewing its lease",
            )
            fail_abandoned_tasks(book.assembler, task_path=ASSEMBLE_TASK, args=[book.pk])
    return recovered


def fail_abandoned_tasks(
    worker: str, chunk_id: int | None = None, *, task_path: str = "", args: list | None = None
) -> int:
    """Mark failed the tasks that ``worker`` was running when it died (those of
    ``chunk_id``, or of ``task_path`` with ``args``, or all), so that the task table
    does not show them running forever."""
    if chunk_id is not None:
        task_path, args = RENDER_CHUNK_TASK, [chunk_id]
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    if task_path:
        running = running.filter(task_path=task_path)
    abandoned = [
        task.pk
        for task in running.only("worker_ids", "args_kwargs")
        if task.worker_ids
        and task.worker_ids[-1] == worker
        and (args is None or task.args_kwargs.get("args") == args)
    ]
    if not abandoned:
        return 0
    error = WorkerLost(f"worker {worker!r} stopped (killed or lost) while running this task")
    failed = DBTaskResult.objects.filter(pk__in=abandoned, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="".join(format_exception_only(error)),
    )
    if failed:
        logger.warning(
            "Marked failed %d task(s) that worker %r left running: %s",
            failed,
            worker,
            ", ".join(str(pk) for pk in abandoned),
        )
    return failed
