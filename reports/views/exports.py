"""The export of the listed indicators (.xlsx, .csv), with the list's filters."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from indicators.exchange.columns import DEFAULT_CRITERIA
from indicators.exchange.write import download
from reports.export import export_file
from reports.filters import listed_indicators


@require_safe
@cache_control(private=True, no_store=True)
def indicator_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The indicators the list shows for the same filters (all pages), with their
    targets, results, scores and statuses; staff get their own units only."""
    form, indicators = listed_indicators(request.user, request.GET)
    year, unit = form.chosen.get("year"), form.chosen.get("unit")
    criteria = (year.criterion_1_label, year.criterion_2_label) if year else DEFAULT_CRITERIA
    name = "-".join(["indicators", *([str(year.year)] if year else []), *([unit.code] if unit else [])])
    return download(export_file(indicators, fmt, criteria), fmt, name)
