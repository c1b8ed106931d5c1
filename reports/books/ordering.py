"""Ordering a book: its chunks queued; its progress, or its failure."""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from reports.books.queue import notify_workers, queue_assembly, queue_chunk
from reports.models import Book, BookChunk

logger = logging.getLogger(__name__)


@transaction.atomic
def order_book(user, indicator_ids: list[int], title: str, description: str = "", query: str = "") -> Book:
    """Create a book of ``indicator_ids`` (in that order) and queue its chunks."""
    size = settings.BOOK_CHUNK_SIZE
    book = Book.objects.create(
        title=title[:300],
        description=description[:500],
        query=query[:1000],
        indicator_ids=indicator_ids,
        ordered_by=user,
        total=len(indicator_ids),
        status=Book.Status.RENDERING,
    )
    chunks = BookChunk.objects.bulk_create(
        BookChunk(book=book, index=index, indicator_ids=indicator_ids[start : start + size])
        for index, start in enumerate(range(0, len(indicator_ids), size))
    )
    for chunk in BookChunk.objects.filter(book=book).order_by("index") if chunks else []:
        queue_chunk(chunk.pk, notify=False)
    if chunks:
        notify_workers()  # once for all the chunks
    else:
        queue_assembly(book.pk)
    return book


def progress(book: Book) -> int:
    """Sheets rendered or reused so far. It never decreases: a chunk taken back keeps
    its count, and its sheets already done are reused."""
    if book.status == Book.Status.DONE:
        return book.total
    return book.chunks.aggregate(n=Sum("done_count"))["n"] or 0


def fail_book(book_id: int, message: str) -> None:
    logger.error("Book %d failed: %s", book_id, message)
    Book.objects.filter(pk=book_id).exclude(status=Book.Status.DONE).update(
        status=Book.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )
