"""The portal's URLs plus ``/bench/reference/``: the reference a page's throughput is
compared with, served by the same server through the same middleware (signed in), its view
running one query. Only the bench's settings (tools/bench_server/settings.py) use this."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from indicators.models import Indicator
from kpi_portal.urls import urlpatterns as portal_urlpatterns


def reference(request: HttpRequest) -> HttpResponse:
    """One query, a short text answer: what a page would cost with nothing to compute."""
    count = Indicator.objects.count()
    return HttpResponse(f"{count} indicators\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/reference/", reference), *portal_urlpatterns]
