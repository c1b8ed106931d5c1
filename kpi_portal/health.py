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

import dataclasses
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import HealthCheckException, ServiceUnavailable, ServiceWarning

from reports.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# A worker that stopped beating longer ago than this is forgotten (not a warning any more).
FORGET_DEAD_WORKERS_AFTER = timedelta(hours=1)


def minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.1f} min"


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The oldest task waiting for a worker: a warning past HEALTH_QUEUE_WARNING_SECONDS,
    unavailable past HEALTH_QUEUE_MAX_SECONDS."""

    def run(self):
        oldest = (
            DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        )
        if oldest is None:
            return
        waited = timezone.now() - oldest
        if waited > timedelta(seconds=settings.HEALTH_QUEUE_MAX_SECONDS):
            raise ServiceUnavailable(f"the oldest waiting task has waited {minutes(waited)}")
        if waited > timedelta(seconds=settings.HEALTH_QUEUE_WARNING_SECONDS):
            raise ServiceWarning(f"the oldest waiting task has waited {minutes(waited)}")


@dataclasses.dataclass
class BookWorkers(HealthCheck):
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


OWN_CHECKS = (TaskQueue, BookWorkers)
NAMES = {Database: "database", Storage: "storage", TaskQueue: "task_queue", BookWorkers: "book_workers"}


def run_check(check: HealthCheck) -> HealthCheckException | None:
    """The check's error, or None. Run in the request's own thread: django-health-check's
    view is asynchronous (an event loop and an executor per request under WSGI), more
    machinery than four quick checks need."""
    try:
        check.run()
    except HealthCheckException as error:
        logger.warning("Health check %r: %s", check, error, exc_info=not isinstance(check, OWN_CHECKS))
        return error
    except Exception:
        logger.exception("Health check %r failed unexpectedly", check)
        return HealthCheckException("unknown error")
    return None


def health_view(checks):
    @login_not_required
    @never_cache
    @require_safe
    def view(request: HttpRequest) -> JsonResponse:
        results, unavailable, warning = {}, False, False
        for check_class in checks:
            check = check_class()
            error = run_check(check)
            name = NAMES[check_class]
            if error is None:
                results[name] = "ok"
                continue
            is_warning = isinstance(error, ServiceWarning)
            warning |= is_warning
            unavailable |= not is_warning
            # A library check's message may name a host or a database: only its kind is shown.
            results[name] = str(error) if isinstance(check, OWN_CHECKS) else error.message_type
        status = "unavailable" if unavailable else "warning" if warning else "ok"
        return JsonResponse({"status": status, "checks": results}, status=503 if unavailable else 200)

    return view


serving = health_view([Database, Storage])
background = health_view([Database, TaskQueue, BookWorkers])
