"""Health endpoints (django-health-check).

``/health/`` is for load balancers: can this server serve pages (its database and
the shared file storage)? ``/health/background/`` is for monitoring: is the
background work moving (the oldest task waiting in the queue, the book workers'
heartbeats)? Kept apart so that a stuck worker never takes the web servers out of a
load balancer. Both answer 200 (status "ok" or "warning") or 503 ("unavailable"),
in JSON, without signing in, and tell nothing secret: a library check's message
(which may name a host or a database) goes to the log only, the page shows its
kind ("Unavailable"); the portal's own checks say what they found in words.
"""

import asyncio
import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django_tasks_db.models import DBTaskResult
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from reports.models import WorkerHeartbeat

# A worker that stopped beating longer ago than this is forgotten (not a warning any more).
FORGET_DEAD_WORKERS_AFTER = timedelta(hours=1)


def minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.1f} min"


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The oldest task waiting for a worker: a warning past HEALTH_QUEUE_WARNING_SECONDS,
    unavailable past HEALTH_QUEUE_MAX_SECONDS."""

    async def run(self):
        oldest = await sync_to_async(self.oldest_waiting, thread_sensitive=True)()
        if oldest is None:
            return
        waited = timezone.now() - oldest
        if waited > timedelta(seconds=settings.HEALTH_QUEUE_MAX_SECONDS):
            raise ServiceUnavailable(f"the oldest waiting task has waited {minutes(waited)}")
        if waited > timedelta(seconds=settings.HEALTH_QUEUE_WARNING_SECONDS):
            raise ServiceWarning(f"the oldest waiting task has waited {minutes(waited)}")

    @staticmethod
    def oldest_waiting():
        return (
            DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        )


@dataclasses.dataclass
class BookWorkers(HealthCheck):
    """At least one book worker alive (a heartbeat within HEALTH_WORKER_MAX_SECONDS); a
    warning when a worker stopped beating without stopping cleanly (killed, lost)."""

    async def run(self):
        beats = await sync_to_async(self.recent_beats, thread_sensitive=True)()
        threshold = timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_MAX_SECONDS)
        alive = [name for name, beat_at in beats if beat_at >= threshold]
        silent = [name for name, beat_at in beats if beat_at < threshold]
        if not alive:
            raise ServiceUnavailable("no book worker is running")
        if silent:
            raise ServiceWarning(f"{len(alive)} worker(s) running; silent: {', '.join(sorted(silent))}")

    @staticmethod
    def recent_beats():
        since = timezone.now() - FORGET_DEAD_WORKERS_AFTER
        return list(WorkerHeartbeat.objects.filter(beat_at__gte=since).values_list("worker", "beat_at"))


OWN_CHECKS = (TaskQueue, BookWorkers)
NAMES = {Database: "database", Storage: "storage", TaskQueue: "task_queue", BookWorkers: "book_workers"}


@method_decorator(login_not_required, name="dispatch")
class HealthView(HealthCheckView):
    """JSON only (no HTML, feeds or metrics), with the portal's status codes."""

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        checks, unavailable, warning = {}, False, False
        for result in self.results:
            name = NAMES.get(type(result.check), type(result.check).__name__)
            error = result.error
            if error is None:
                checks[name] = "ok"
                continue
            is_warning = isinstance(error, ServiceWarning)
            warning |= is_warning
            unavailable |= not is_warning
            checks[name] = str(error) if isinstance(result.check, OWN_CHECKS) else error.message_type
        status = "unavailable" if unavailable else "warning" if warning else "ok"
        return JsonResponse({"status": status, "checks": checks}, status=503 if unavailable else 200)


serving = HealthView.as_view(checks=[Database, Storage])
background = HealthView.as_view(checks=[Database, TaskQueue, BookWorkers])
