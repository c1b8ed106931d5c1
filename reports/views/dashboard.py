from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from indicators.access import principal, require
from indicators.models import QUARTERS
from indicators.periods import chosen_period, years_with_last_due_quarter
from reports.dashboard import build_dashboard
from reports.models import FiguresVersion

# How long a rendered dashboard is kept (a change to its figures makes a new key anyway).
CACHE_SECONDS = 3600


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
    # Everyone who may open the dashboard sees the same figures: the rendered figures are
    # cached per year, quarter, day (lateness), language and version of the data they
    # count (FiguresVersion), and computed only when the cache has none.
    version = FiguresVersion.current()
    context = {
        "dashboard": SimpleLazyObject(lambda: build_dashboard(fiscal_year, quarter, today)),
        "cache_key": f"{fiscal_year.year}:{quarter}:{today.isoformat()}:{get_language()}:{version}",
        "cache_seconds": CACHE_SECONDS if version is not None else 0,
        "years": years,
        "quarters": QUARTERS,
        "today": today,
    }
    return render(request, "reports/dashboard.html", context)
