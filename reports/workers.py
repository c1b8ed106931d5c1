"""Book workers' heartbeats: one row per worker, refreshed while it runs."""

import os
import socket
import time

from django.utils import timezone

from reports.models import WorkerHeartbeat

# At most one write per worker in this many seconds (a beat comes at every poll,
# task and sheet).
BEAT_EVERY_SECONDS = 5
_last_beat: dict[str, float] = {}


def beat(worker: str, *, force: bool = False) -> None:
    if not worker:
        return
    now = time.monotonic()
    if not force and now - _last_beat.get(worker, -BEAT_EVERY_SECONDS) < BEAT_EVERY_SECONDS:
        return
    _last_beat[worker] = now
    stamp = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker=worker).update(
        beat_at=stamp, host=socket.gethostname()[:255], pid=os.getpid()
    )
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker=worker,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": stamp,
                "beat_at": stamp,
            },
        )


def started(worker: str) -> None:
    stamp = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=worker,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": stamp,
            "beat_at": stamp,
        },
    )
    _last_beat[worker] = time.monotonic()


def stopped(worker: str) -> None:
    """A clean stop: the worker is gone on purpose, not dead."""
    WorkerHeartbeat.objects.filter(worker=worker, pid=os.getpid()).delete()
    _last_beat.pop(worker, None)
