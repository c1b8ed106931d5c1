"""The indicator list, with its filters; with a quarter chosen, each row's progress."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kpi_portal.navigation import query_without_page
from reports.filters import listed_indicators


@require_safe
def indicator_list(request: HttpRequest) -> HttpResponse:
    form, indicators = listed_indicators(request.user, request.GET)
    page = Paginator(indicators, settings.INDICATORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": query_without_page(request),
        # With a quarter chosen, the rows carry its progress (reports.progress).
        "quarter": form.chosen.get("quarter"),
    }
    return render(request, "reports/indicator_list.html", context)
