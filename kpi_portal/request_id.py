"""A request id on every log line of a request and in its response (X-Request-ID).

The id comes from the proxy (nginx's ``$request_id``) when the request came through
our trusted proxies, so that the proxy's and the portal's logs can be matched; else
the portal makes one. Whatever arrives is checked: a header is the client's text,
and a log line must not be forged through it.
"""

import contextvars
import logging
import re
import time
import uuid

from django.conf import settings

from kpi_portal.client_address import client_address, via_trusted_proxy

current_request_id = contextvars.ContextVar("request_id", default="-")
ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
access_log = logging.getLogger("kpi_portal.access")


def incoming_id(request) -> str | None:
    value = request.headers.get(settings.REQUEST_ID_HEADER, "")
    if value and via_trusted_proxy(request) and ACCEPTED_ID.match(value):
        return value
    return None


class RequestIdMiddleware:
    """First in MIDDLEWARE: sets the id for everything after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        request.client_address = client_address(request)
        token = current_request_id.set(request_id)
        started, started_cpu = time.monotonic(), time.thread_time()
        try:
            response = self.get_response(request)
            response.headers["X-Request-ID"] = request_id
            if access_log.isEnabledFor(logging.INFO):
                user = getattr(request, "user", None)
                access_log.info(
                    "%s %s %d",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                        # This thread's CPU time: what the request cost the server's cores,
                        # apart from waiting (database, storage, other threads).
                        "cpu_ms": round((time.thread_time() - started_cpu) * 1000, 1),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    },
                )
            return response
        finally:
            current_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True
