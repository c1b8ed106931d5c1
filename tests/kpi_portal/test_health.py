"""Health endpoints for load balancers and monitoring: open without signing in,
JSON, 503 when unhealthy, and nothing secret in them."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reports.models import WorkerHeartbeat
from tests.reports.test_books import database_url

pytestmark = pytest.mark.django_db


def health(path="/health/background/"):
    response = Client().get(path)
    return response.status_code, response.json()


def beating(worker, seconds_ago=0):
    at = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker=worker, host="h", pid=1, started_at=at, beat_at=at)


def test_the_load_balancers_endpoint_is_open_and_sets_no_cookie(settings):
    settings.SECURE_SSL_REDIRECT = True  # probes come over plain HTTP: not redirected
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]
    # Storage checked by writing, reading and deleting a file: nothing is left behind.
    assert (
        not any(files for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))
        if os.path.isdir(settings.MEDIA_ROOT)
        else True
    )


def test_a_broken_storage_is_unavailable_and_its_path_is_not_told(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    secret_place = blocker / "secret-location-name"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": secret_place},
        },
    }
    response = Client().get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "storage": "Unknown Error"},
    }
    assert b"secret-location-name" not in response.content and b"tmp" not in response.content


def test_no_worker_alive_is_unavailable():
    assert health() == (
        503,
        {
            "status": "unavailable",
            "checks": {
                "database": "ok",
                "task_queue": "ok",
                "book_workers": "Unavailable: no book worker is running",
            },
        },
    )


def test_a_silent_worker_beside_a_live_one_is_a_warning(settings):
    beating("web-1-worker")
    beating("web-2-worker", seconds_ago=settings.HEALTH_WORKER_MAX_SECONDS + 5)
    status, body = health()
    assert status == 200 and body["status"] == "warning"
    assert body["checks"]["book_workers"] == "Warning: 1 worker(s) running; silent: web-2-worker"
    # Long gone (over an hour): forgotten.
    WorkerHeartbeat.objects.filter(worker="web-2-worker").update(beat_at=timezone.now() - timedelta(hours=2))
    assert health() == (
        200,
        {"status": "ok", "checks": {"database": "ok", "task_queue": "ok", "book_workers": "ok"}},
    )


def test_the_oldest_waiting_task_warns_then_fails(settings):
    from reports.tasks import assemble_book

    beating("worker")
    settings.HEALTH_QUEUE_WARNING_SECONDS = 300
    settings.HEALTH_QUEUE_MAX_SECONDS = 1800
    assemble_book.enqueue(1)
    assert health()[1]["checks"]["task_queue"] == "ok"
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=6))
    status, body = health()
    assert (status, body["status"]) == (200, "warning")
    assert body["checks"]["task_queue"].startswith("Warning: the oldest waiting task has waited 6.0 min")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=31))
    status, body = health()
    assert (status, body["status"]) == (503, "unavailable")
    assert body["checks"]["task_queue"].startswith("Unavailable: the oldest waiting task has waited 31.0 min")
    # The load balancers' endpoint does not care: the web servers still serve pages.
    assert health("/health/")[0] == 200


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_process_beats_and_a_clean_stop_removes_its_row(settings, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "DJANGO_MEDIA_ROOT": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "book_worker",
            "--worker-id",
            "health-worker",
            "--interval",
            "0.2",
            "-v",
            "0",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.filter(worker="health-worker").exists():
            assert worker.poll() is None and time.monotonic() < deadline, "the worker wrote no heartbeat"
            time.sleep(0.1)
        assert health()[1]["checks"]["book_workers"] == "ok"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert not WorkerHeartbeat.objects.exists()
    assert health()[0] == 503
