"""A unit's page: its indicators of a fiscal year, grouped by performance-agreement dimension."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from indicators.access import visible_units
from indicators.models import FiscalYear, Indicator

DIMENSIONS = {
    1: gettext_lazy("Dimension 1: effectiveness of the mission"),
    2: gettext_lazy("Dimension 2: quality of service"),
    3: gettext_lazy("Dimension 3: efficiency of operations"),
    4: gettext_lazy("Dimension 4: organisational development"),
}


def dimension_label(dimension: int | None) -> str:
    if dimension is None:
        return _("Other indicators")
    return str(DIMENSIONS.get(dimension, _("Dimension %(number)s") % {"number": dimension}))


def by_dimension(indicators: list[Indicator]) -> list[tuple[str, list[Indicator]]]:
    """(label, indicators) per dimension ("3.2" is in dimension 3), in order; others last."""
    groups = {}
    for indicator in indicators:
        groups.setdefault(indicator.agreement_dimension, []).append(indicator)
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))
    return [(dimension_label(dimension), items) for dimension, items in ordered]


@require_safe
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(visible_units(request.user), code=code)
    years = list(FiscalYear.objects.filter(indicators__org_unit=unit).distinct().order_by("-year"))
    requested = request.GET.get("year", "")
    fiscal_year = next((y for y in years if str(y.year) == requested), years[0] if years else None)
    indicators = list(unit.indicators.filter(fiscal_year=fiscal_year).order_by("sequence", "code"))
    context = {
        "unit": unit,
        "years": years,
        "fiscal_year": fiscal_year,
        "grouped": by_dimension(indicators),
        "query": urlencode({"unit": unit.code, "year": fiscal_year.year}) if fiscal_year else "",
        "count": len(indicators),
    }
    return render(request, "reports/unit_page.html", context)
