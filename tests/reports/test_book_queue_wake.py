"""An idle book worker is woken by a queued task on PostgreSQL (NOTIFY), instead of
waiting for its next poll: a book, or a rebuild of a few seconds, starts at once."""

import subprocess
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections

from reports.books import queue
from reports.models import Book, WorkerHeartbeat
from tests.reports.test_books import order, registry, worker_command, worker_environment  # noqa: F401

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LISTEN/NOTIFY: PostgreSQL only (SQLite polls)"
)


def test_elsewhere_an_idle_worker_sleeps_its_interval():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite (or another database without NOTIFY) only")
    started = time.monotonic()
    queue.wait_for_tasks(0.3)
    assert 0.3 <= time.monotonic() - started < 2
    started = time.monotonic()
    queue.wait_for_tasks(30, stopping=lambda: time.monotonic() - started > 0.5)
    assert time.monotonic() - started < 3  # asked to stop: within a second


def waited_seconds(limit: float, before_queueing: float) -> tuple[float, threading.Thread]:
    """Seconds a worker-like thread waited (``wait_for_tasks(limit)``) when a task was
    queued ``before_queueing`` seconds after it started waiting."""
    result = {}

    def wait():
        try:
            started = time.monotonic()
            queue.wait_for_tasks(limit)
            result["waited"] = time.monotonic() - started
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(before_queueing)
    queue.queue_assembly(0)
    thread.join(limit + 10)
    return result["waited"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_queued_task_wakes_a_waiting_worker_at_once():
    waited = waited_seconds(limit=20, before_queueing=1.0)
    assert 0.9 <= waited < 5  # woken by the task, long before its 20 s


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_wait_whose_connection_the_server_ends_sleeps_out_its_time_and_raises_nothing():
    result = {}

    def wait():
        try:
            result["pid"] = queue.tasks_connection().cursor().connection.get_backend_pid()
            started = time.monotonic()
            queue.wait_for_tasks(3)
            result["waited"] = time.monotonic() - started
        finally:
            connections.close_all()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [result["pid"]])
    thread.join(15)
    assert 2.5 <= result["waited"] < 10


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_task_already_waiting_is_not_waited_for():
    queue.queue_assembly(0)
    started = time.monotonic()
    queue.wait_for_tasks(20)
    assert time.monotonic() - started < 5


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_polling_every_minute_builds_a_book_ordered_meanwhile_at_once(
    registry,  # noqa: F811
    settings,
):
    env = worker_environment(settings)
    worker = subprocess.Popen(
        [*worker_command("woken-worker"), "--interval", "60"], cwd=django_settings.BASE_DIR, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not WorkerHeartbeat.objects.filter(worker="woken-worker").exists():
            assert worker.poll() is None and time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        time.sleep(3)  # past its first look at the queue: waiting, up to a minute
        ordered = time.monotonic()
        book = order(registry)
        while Book.objects.get(pk=book.pk).status != Book.Status.DONE:
            assert time.monotonic() - ordered < 45, "the worker waited for its next poll"
            time.sleep(0.1)
    finally:
        worker.terminate()
        stopping = time.monotonic()
        assert worker.wait(timeout=60) == 0
    assert time.monotonic() - stopping < 15  # within a second of its wait, not its minute
