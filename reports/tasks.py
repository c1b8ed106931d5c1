"""Background tasks (django-tasks); run by `manage.py book_worker` or `db_worker`."""

from django_tasks import TaskContext, task

from reports import books


def worker_id(context: TaskContext) -> str:
    worker_ids = getattr(context.task_result, "worker_ids", None) or []
    return worker_ids[-1] if worker_ids else ""


@task(takes_context=True)
def render_book_chunk(context: TaskContext, chunk_id: int) -> str:
    return books.render_chunk(chunk_id, worker_id(context))


@task()
def assemble_book(book_id: int) -> str:
    try:
        return books.assemble(book_id)
    except Exception as error:
        books.fail_book(book_id, repr(error))
        raise
