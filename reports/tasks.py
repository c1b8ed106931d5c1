"""Background tasks (django-tasks); run by `manage.py book_worker` or `db_worker`.
The book pipeline (reports/books/) queues them by name and never imports this module."""

from django_tasks import TaskContext, task

from reports.books.assembly import assemble
from reports.books.ordering import fail_book
from reports.books.rendering import render_chunk


def worker_id(context: TaskContext) -> str:
    worker_ids = getattr(context.task_result, "worker_ids", None) or []
    return worker_ids[-1] if worker_ids else ""


@task(takes_context=True)
def render_book_chunk(context: TaskContext, chunk_id: int) -> str:
    return render_chunk(chunk_id, worker_id(context))


@task(takes_context=True)
def assemble_book(context: TaskContext, book_id: int) -> str:
    try:
        return assemble(book_id, worker_id(context))
    except Exception as error:
        fail_book(book_id, repr(error))
        raise
