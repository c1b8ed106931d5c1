"""/health/background/: is the background work moving? The database, the task queue's
oldest waiting task and the book workers' heartbeats (kpi_portal.health says more)."""

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from kpi_portal.health import PortalCheck, TaskQueue, health_view
from reports.models import WorkerHeartbeat

# A worker that stopped beating longer ago than this is forgotten (not a warning any more).
FORGET_DEAD_WORKERS_AFTER = timedelta(hours=1)


@dataclasses.dataclass
class BookWorkers(PortalCheck):
    """At least one book worker alive (a heartbeat within HEALTH_WORKER_MAX_SECONDS); a
    warning when a worker stopped beating without stopping cleanly (killed, lost)."""

    def run(self):
        since = timezone.now() - FORGET_DEAD_WORKERS_AFTER
        beats = WorkerHeartbeat.objects.filter(beat_at__gte=since).values_list("worker", "beat_at")
        threshold = timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_MAX_SECONDS)
        alive = [name for name, beat_at in beats if beat_at >= threshold]
        silent = [name for name, beat_at in beats if beat_at < threshold]
        if not alive:
            raise ServiceUnavailable("no book worker is running")
        if silent:
            raise ServiceWarning(f"{len(alive)} worker(s) running; silent: {', '.join(sorted(silent))}")


background = health_view({"database": Database, "task_queue": TaskQueue, "book_workers": BookWorkers})
