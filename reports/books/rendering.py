"""Rendering a chunk of a book's sheets, each reused while its content is unchanged."""

import logging
import time
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from reports import workers
from reports.books.ordering import fail_book
from reports.books.queue import chunk_label, queue_assembly
from reports.books.recovery import hand_back, recover_stalled_assemblies, recover_stalled_chunks
from reports.models import Book, BookChunk, SheetRender
from reports.printing.fingerprint import fingerprint
from reports.printing.render import html_to_pdf, sheet_html
from reports.sheet import build_sheet, sheet_queryset
from reports.sheet_version import content_keys

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

# Set by book_worker's SIGTERM/SIGINT handler, read before each sheet. A plain
# attribute, not a threading.Event: a signal handler must not take a lock that the
# code it interrupted may hold.
worker_stop = SimpleNamespace(requested=False)


def claim_chunk(chunk_id: int, worker: str) -> BookChunk | None:
    """Take the chunk if it is pending, abandoned (lease ran out) or held by this
    worker's previous life; None when another live worker has it or it is done."""
    now = timezone.now()
    claimable = Q(status=BookChunk.Status.PENDING) | Q(status=BookChunk.Status.RUNNING, lease_until__lt=now)
    if worker:
        claimable |= Q(status=BookChunk.Status.RUNNING, worker=worker)
    claimed = (
        BookChunk.objects.filter(pk=chunk_id)
        .filter(claimable)
        .update(
            status=BookChunk.Status.RUNNING,
            worker=worker,
            lease_until=now + timedelta(seconds=settings.BOOK_CHUNK_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            # done_count is kept: the sheets already done are reused, and the book's
            # progress, the sum of its chunks' counts, must not move backwards.
            reused_count=0,
        )
    )
    return BookChunk.objects.select_related("book").get(pk=chunk_id) if claimed else None


def render_sheet(indicator, existing: dict, content_key: str | None) -> tuple[SheetRender, bool]:
    """The sheet's PDF: the stored one if its content is unchanged, else a new render.
    Either way the render is marked current for ``content_key``."""
    # No print date, user or page numbers (the book stamps its own on every page at
    # assembly): the HTML, and its fingerprint, change only when the sheet's content does.
    html = sheet_html(build_sheet(indicator), page_numbers=False)
    key = fingerprint(html)
    render = existing.get((indicator.pk, key))
    if render is not None and render.file.storage.exists(render.file.name):
        if content_key and render.content_key != content_key:
            SheetRender.objects.filter(pk=render.pk).update(content_key=content_key)
        return render, True
    pdf, pages = html_to_pdf(html)
    name = f"{indicator.org_unit.code}-{indicator.code}-{key[:16]}.pdf"
    if render is not None:
        # Its file is gone (storage lost or restored without it): rendered again into it.
        render.file.save(name, ContentFile(pdf), save=False)
        render.page_count, render.content_key = pages, content_key or ""
        render.save(update_fields=["file", "page_count", "content_key"])
        return render, False
    render = SheetRender(
        indicator=indicator, fingerprint=key, content_key=content_key or "", page_count=pages
    )
    render.file.save(name, ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            render.save()
    except IntegrityError:
        # Another worker rendered the same content meanwhile: use theirs.
        render.file.delete(save=False)
        render = SheetRender.objects.get(indicator=indicator, fingerprint=key)
    return render, False


def render_chunk(chunk_id: int, worker: str) -> str:
    # Workers run as management commands, with no language active: sheets are Thai.
    with override(settings.LANGUAGE_CODE):
        outcome = render_claimed_chunk(chunk_id, worker)
    # Any worker, even a plain db_worker, hands on chunks and assemblies whose worker died.
    recover_stalled_chunks()
    recover_stalled_assemblies()
    return outcome


class ChunkLeft(Exception):
    """This worker stopped rendering its chunk; ``str(error)`` is the task's outcome."""


def render_claimed_chunk(chunk_id: int, worker: str) -> str:
    chunk = claim_chunk(chunk_id, worker)
    if chunk is None:
        logger.debug("Book chunk %d is done or held by another worker: skipped", chunk_id)
        return "skipped"
    label = chunk_label(chunk)
    if chunk.attempts > MAX_ATTEMPTS:
        logger.error("%s: failed %d times, so the book fails", label, MAX_ATTEMPTS)
        fail_book(chunk.book_id, _("A part of the book failed %(count)d times.") % {"count": MAX_ATTEMPTS})
        return "failed"
    logger.info("%s: rendering, attempt %d", label, chunk.attempts)
    started = time.monotonic()
    try:
        render_ids, reused = render_sheets(chunk, worker, label)
        last = finish_chunk(chunk, worker, render_ids)
    except ChunkLeft as left:
        return str(left)
    logger.info(
        "%s: done in %.1f s (%d sheets rendered, %d unchanged and reused)%s",
        label,
        time.monotonic() - started,
        len(render_ids) - reused,
        reused,
        "; it was the last part, the book's assembly is queued" if last else "",
    )
    return "done"


def lost_lease(label: str) -> ChunkLeft:
    logger.warning("%s: this worker's lease ran out and another worker took it over", label)
    return ChunkLeft("lost lease")


def render_sheets(chunk: BookChunk, worker: str, label: str) -> tuple[list[int], int]:
    """The chunk's sheets rendered (or reused), its lease renewed after each: the
    renders' ids and how many were reused. ChunkLeft when the worker is stopping (the
    chunk is handed back) or its lease was taken over."""
    # Keys first, sheets after: content that changes in between gets a key of its own,
    # so a render is never marked current for a key it does not show.
    keys = content_keys(chunk.indicator_ids)
    existing, current = {}, {}
    for render in SheetRender.objects.filter(indicator_id__in=chunk.indicator_ids):
        existing[(render.indicator_id, render.fingerprint)] = render
        if render.content_key and render.content_key == keys.get(render.indicator_id):
            current[render.indicator_id] = render
    # Only the sheets without a current render are fetched and their HTML rendered.
    queryset = sheet_queryset().select_related("annual_summary")
    unknown = [pk for pk in chunk.indicator_ids if pk not in current]
    indicators = {indicator.pk: indicator for indicator in queryset.filter(pk__in=unknown)} if unknown else {}
    render_ids, reused = [], 0
    reported = time.monotonic()
    for number, pk in enumerate(chunk.indicator_ids, start=1):
        if worker_stop.requested:
            if hand_back(chunk, worker):
                logger.info(
                    "%s: handed back after %d sheets as this worker is stopping; any worker takes it now",
                    label,
                    number - 1,
                )
            raise ChunkLeft("handed back")
        render = current.get(pk)
        if render is not None and render.file.storage.exists(render.file.name):
            render_ids.append(render.pk)
            reused += 1
            # A sheet reused by its key takes no time: progress and lease are written
            # after the next render, the chunk's last sheet, or a second, not after each.
            if number < len(chunk.indicator_ids) and time.monotonic() - reported < 1:
                continue
        elif (indicator := indicators.get(pk) or refetch(queryset, pk)) is not None:
            # (an indicator deleted since the order is left out)
            render, was_reused = render_sheet(indicator, existing, keys.get(pk))
            render_ids.append(render.pk)
            reused += was_reused
        workers.beat(worker)
        still_ours = BookChunk.objects.filter(
            pk=chunk.pk, worker=worker, status=BookChunk.Status.RUNNING
        ).update(
            done_count=Greatest("done_count", Value(number)),
            reused_count=reused,
            lease_until=timezone.now() + timedelta(seconds=settings.BOOK_CHUNK_LEASE_SECONDS),
        )
        if not still_ours:
            raise lost_lease(label)
        reported = time.monotonic()
    return render_ids, reused


def refetch(queryset, pk: int):
    """A sheet whose current render lost its file: fetched now, or None if it was deleted."""
    return queryset.filter(pk=pk).first()


@transaction.atomic
def finish_chunk(chunk: BookChunk, worker: str, render_ids: list[int]) -> bool:
    """Mark the chunk done with its final list of renders; the last chunk of the book
    queues its assembly (and True). ChunkLeft when the lease was taken over."""
    finished = BookChunk.objects.filter(pk=chunk.pk, worker=worker, status=BookChunk.Status.RUNNING).update(
        status=BookChunk.Status.DONE, render_ids=render_ids, lease_until=None
    )
    if not finished:
        raise lost_lease(chunk_label(chunk))
    book = Book.objects.select_for_update().get(pk=chunk.book_id)
    last = (
        book.status == Book.Status.RENDERING
        and not book.chunks.exclude(status=BookChunk.Status.DONE).exists()
    )
    if last:
        book.status = Book.Status.ASSEMBLING
        book.save(update_fields=["status"])
        # The task is a row in this same database: it becomes visible on commit.
        queue_assembly(book.pk)
    return last
