"""Book workers give way to the web server: a running worker lowers its own CPU priority
(nice 10 by default), never raises one an operator set higher."""

import os
import subprocess
import time

import psutil
import pytest
from django.conf import settings as django_settings

from tests.reports.test_books import worker_command, worker_environment


def niceness_once_started(env: dict, prefix: tuple = ()) -> int:
    """The niceness of a real, idle worker process once it has started its work loop."""
    worker = subprocess.Popen(
        [*prefix, *worker_command("priority-test", verbosity=1), "--interval", "60"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        for line in worker.stderr:  # "Book worker … started" comes after the priority is set
            if "started" in line or time.monotonic() > deadline:
                break
        assert worker.poll() is None, "the worker stopped"
        return psutil.Process(worker.pid).nice()
    finally:
        worker.terminate()
        worker.wait(timeout=60)


@pytest.mark.django_db(transaction=True)
def test_a_book_worker_runs_at_nice_10(settings):
    parent = os.getpriority(os.PRIO_PROCESS, 0)
    env = {k: v for k, v in worker_environment(settings).items() if k != "BOOK_WORKER_NICE"}
    assert niceness_once_started(env) == max(parent, 10)


@pytest.mark.django_db(transaction=True)
def test_the_niceness_is_a_setting_and_never_raises_the_priority(settings):
    parent = os.getpriority(os.PRIO_PROCESS, 0)
    env = {**worker_environment(settings), "BOOK_WORKER_NICE": "0"}
    assert niceness_once_started(env) == parent  # 0: left as it was
    env["BOOK_WORKER_NICE"] = "10"
    assert niceness_once_started(env, prefix=("nice", "-n", "15")) == min(parent + 15, 19)
