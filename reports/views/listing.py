"""The indicator list, with its filters; with a quarter chosen, each row's progress."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from indicators.access import principal
from kpi_portal.navigation import query_without_page
from reports.filters import list_rows, listed_indicators
from reports.models import FiguresVersion

# How long a rendered list is kept (a change to what it shows makes a new key anyway).
CACHE_SECONDS = 600


@require_safe
def indicator_list(request: HttpRequest) -> HttpResponse:
    # The filters and the rows are rendered once per query string, language, day (a
    # quarter's lateness), the indicators the user may see (all of them, or their units')
    # and version of what the list shows (FiguresVersion: indicators, units, strategies,
    # years, targets, reports' figures); the form and the page are computed only when the
    # cache has none. The book order form (a CSRF token) stays outside the cache.
    found = SimpleLazyObject(lambda: listed_indicators(request.user, request.GET))
    form = SimpleLazyObject(lambda: found[0])
    page = SimpleLazyObject(
        lambda: Paginator(found[1], settings.INDICATORS_PER_PAGE).get_page(request.GET.get("page"))
    )
    rows = SimpleLazyObject(lambda: list_rows(form, page))
    who = principal(request.user)
    scope = "all" if who.reads_everything else ",".join(map(str, sorted(who.unit_ids)))
    version = FiguresVersion.current()
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "cache_key": (
            f"{scope}:{get_language()}:{timezone.localdate().isoformat()}:{version}:{request.GET.urlencode()}"
        ),
        "cache_seconds": CACHE_SECONDS if version is not None else 0,
    }
    return render(request, "reports/indicator_list.html", context)
