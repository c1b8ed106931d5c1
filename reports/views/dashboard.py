from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from indicators.access import principal, require
from indicators.models import QUARTERS
from indicators.periods import chosen_period, years_with_last_due_quarter
from reports.dashboard import build_dashboard


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where a fiscal year's indicators stand in one quarter, for those who read everything."""
    require(principal(request.user).reads_everything)
    today = timezone.localdate()
    years = years_with_last_due_quarter(today)
    if not years:
        return render(request, "reports/home_empty.html")
    fiscal_year, quarter = chosen_period(
        years, request.GET.get("year", ""), request.GET.get("quarter", ""), today
    )
    context = {
        "dashboard": build_dashboard(fiscal_year, quarter, today),
        "years": years,
        "quarters": QUARTERS,
        "today": today,
    }
    return render(request, "reports/dashboard.html", context)
