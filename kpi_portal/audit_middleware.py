"""Refused requests (403: a role that may not, a failed CSRF check) into the audit log."""

from indicators.audit import AuditEvent, record


class AuditRefusalsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            record(AuditEvent.Kind.REFUSED, request=request, method=request.method)
        return response
