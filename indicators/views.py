from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from indicators.forms import IndicatorFilterForm
from indicators.models import Indicator


def indicator_list(request: HttpRequest) -> HttpResponse:
    form = IndicatorFilterForm(request.GET or None)
    indicators = Indicator.objects.for_list()
    if form.is_bound:
        indicators = form.filter(indicators)
    page = Paginator(indicators, settings.INDICATORS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "indicators/indicator_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
