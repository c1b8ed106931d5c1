from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from indicators.access import principal, require
from indicators.models import QUARTERS, FiscalYear
from indicators.periods import chosen_fiscal_year, chosen_quarter
from reports.dashboard import build_dashboard


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where a fiscal year's indicators stand in one quarter, for those who read everything."""
    require(principal(request.user).reads_everything)
    today = timezone.localdate()
    years = list(FiscalYear.objects.order_by("-year"))
    if not years:
        return render(request, "reports/home_empty.html")
    fiscal_year = chosen_fiscal_year(years, request.GET.get("year", ""), today)
    quarter = chosen_quarter(request.GET.get("quarter", ""), today)
    context = {
        "dashboard": build_dashboard(fiscal_year, quarter, today),
        "years": years,
        "quarters": QUARTERS,
        "today": today,
    }
    return render(request, "reports/dashboard.html", context)
