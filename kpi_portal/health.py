"""Health endpoints (django-health-check).

``/health/`` is for load balancers: can this server serve pages (its database and
the shared file storage)? ``/health/background/`` is for monitoring: is the
background work moving (the oldest task waiting in the queue, the book workers'
heartbeats; ``reports/health.py``)? Kept apart so that a stuck worker never takes the web servers out of a
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

logger = logging.getLogger(__name__)


def minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.1f} min"


class PortalCheck(HealthCheck):
    """A check of the portal's own, whose messages are written to be shown."""


@dataclasses.dataclass
class TaskQueue(PortalCheck):
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


def run_check(check: HealthCheck) -> HealthCheckException | None:
    """The check's error, or None. Run in the request's own thread: django-health-check's
    view is asynchronous (an event loop and an executor per request under WSGI), more
    machinery than four quick checks need."""
    try:
        check.run()
    except HealthCheckException as error:
        logger.warning("Health check %r: %s", check, error, exc_info=not isinstance(check, PortalCheck))
        return error
    except Exception:
        logger.exception("Health check %r failed unexpectedly", check)
        return HealthCheckException("unknown error")
    return None


def health_view(checks: dict[str, type[HealthCheck]]):
    """A view running ``checks`` (name: check class) and answering in JSON."""

    @login_not_required
    @never_cache
    @require_safe
    def view(request: HttpRequest) -> JsonResponse:
        results, unavailable, warning = {}, False, False
        for name, check_class in checks.items():
            check = check_class()
            error = run_check(check)
            if error is None:
                results[name] = "ok"
                continue
            is_warning = isinstance(error, ServiceWarning)
            warning |= is_warning
            unavailable |= not is_warning
            # A library check's message may name a host or a database: only its kind is shown.
            results[name] = str(error) if isinstance(check, PortalCheck) else error.message_type
        status = "unavailable" if unavailable else "warning" if warning else "ok"
        return JsonResponse({"status": status, "checks": results}, status=503 if unavailable else 200)

    return view


serving = health_view({"database": Database, "storage": Storage})
