"""Queueing the book pipeline's tasks. The tasks are reports.tasks' (which imports this
package): they are looked up by name when queued, so that no import runs in a circle."""

from django.utils.module_loading import import_string

from reports.models import BookChunk

RENDER_CHUNK_TASK = "reports.tasks.render_book_chunk"
ASSEMBLE_TASK = "reports.tasks.assemble_book"


def queue_chunk(chunk_id: int) -> None:
    import_string(RENDER_CHUNK_TASK).enqueue(chunk_id)


def queue_assembly(book_id: int) -> None:
    import_string(ASSEMBLE_TASK).enqueue(book_id)


def chunk_label(chunk: BookChunk) -> str:
    """How the log names a chunk: "Book 12 part 2/3 (25 sheets)"."""
    parts = BookChunk.objects.filter(book_id=chunk.book_id).count()
    return f"Book {chunk.book_id} part {chunk.index + 1}/{parts} ({len(chunk.indicator_ids)} sheets)"
