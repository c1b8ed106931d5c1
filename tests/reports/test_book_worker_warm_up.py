"""A book worker that runs on (as deploy/systemd starts it) warms the renderer up before
its first task, as gunicorn's workers do: its first sheet is as fast as the next."""

import logging

import pytest
from django.core.management import call_command

from reports.management.commands import book_worker
from reports.printing import warm


@pytest.fixture
def one_pass(monkeypatch):
    """The worker's loop run once: its task runner finds nothing and stops the worker."""
    calls = []

    def run(worker):
        calls.append("tasks")
        worker.running = False

    monkeypatch.setattr(book_worker.BookWorker, "run", run)
    monkeypatch.setattr(book_worker.NotificationDuty, "tick", lambda duty: None)
    return calls


@pytest.mark.django_db
def test_a_running_worker_prints_a_sheet_before_its_first_task(monkeypatch, one_pass):
    monkeypatch.setattr(book_worker.printing, "warm_up", lambda: one_pass.append("warm-up"))
    call_command("book_worker", worker_id="warm-worker", interval=0, verbosity=0)
    assert one_pass == ["warm-up", "tasks"]


@pytest.mark.django_db
def test_a_batch_run_renders_at_once_without_warming_up(monkeypatch, one_pass):
    monkeypatch.setattr(book_worker.printing, "warm_up", lambda: one_pass.append("warm-up"))
    call_command("book_worker", once=True, worker_id="batch-worker", verbosity=0)
    assert one_pass == ["tasks"]


@pytest.mark.django_db
def test_a_failed_warm_up_is_logged_and_the_worker_runs_on(monkeypatch, one_pass, caplog):
    def failing():
        raise OSError("no fonts")

    monkeypatch.setattr(book_worker.printing, "warm_up", failing)
    with caplog.at_level(logging.ERROR, logger="reports"):
        call_command("book_worker", worker_id="cold-worker", interval=0, verbosity=0)
    assert one_pass == ["tasks"]
    assert "Warming the renderer up failed" in caplog.text and "no fonts" in caplog.text


@pytest.mark.django_db
def test_the_real_warm_up_renders_on_an_empty_database(monkeypatch, one_pass, caplog):
    # The warm-up closes its database connections (gunicorn's threads open their own);
    # in a test that would close the test's in-memory database.
    monkeypatch.setattr(warm.connections, "close_all", lambda: None)
    with caplog.at_level(logging.INFO, logger="reports"):
        call_command("book_worker", worker_id="fresh-worker", interval=0, verbosity=1)
    assert one_pass == ["tasks"]
    assert "Renderer warmed up in" in caplog.text
