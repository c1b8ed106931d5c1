from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from indicators import thai
from indicators.access import principal, require
from indicators.models import QUARTERS, FiscalYear
from reports.dashboard import build_dashboard


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where a fiscal year's indicators stand in one quarter, for those who read everything."""
    require(principal(request.user).reads_everything)
    today = timezone.localdate()
    years = list(FiscalYear.objects.order_by("-year"))
    if not years:
        return render(request, "indicators/home_empty.html")
    # The default is indicators.views.current_fiscal_year, taken from the list already read:
    # the year containing today, else the latest one.
    this_year = thai.fiscal_year_of(today)
    fiscal_year = next((y for y in years if y.year <= this_year), years[0])
    fiscal_year = next((y for y in years if str(y.year) == request.GET.get("year")), fiscal_year)
    quarter = request.GET.get("quarter", "")
    quarter = int(quarter) if quarter in {"1", "2", "3", "4"} else thai.fiscal_quarter_of(today)
    return render(
        request,
        "reports/dashboard.html",
        {
            "dashboard": build_dashboard(fiscal_year, quarter, today),
            "years": years,
            "quarters": QUARTERS,
            "today": today,
        },
    )
