"""Each role's start page: unit staff their units' quarters, auditors the review queue,
executives and administrators the reporting progress per unit."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from indicators.access import principal
from indicators.models import QUARTERS, FiscalYear
from indicators.periods import chosen_period, default_fiscal_year, years_with_last_due_quarter
from reports.models import FiguresVersion
from reports.selectors import quarter_statuses, reporting_by_unit

# How long the rendered overview is kept (a change to its figures makes a new key anyway).
CACHE_SECONDS = 3600


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    who = principal(request.user)
    if who.is_auditor and not who.is_administrator:
        return redirect("review_queue")
    today = timezone.localdate()
    years = years_with_last_due_quarter(today)
    if not years:
        return render(request, "reports/home_empty.html")
    if who.is_unit_staff:
        return staff_home(request, default_fiscal_year(years, today), today)
    if who.reads_everything:
        return overview(request, years, today)
    return render(request, "reports/home_empty.html", {"no_role": True})


def staff_home(request: HttpRequest, fiscal_year: FiscalYear, today) -> HttpResponse:
    """The staff member's units' indicators, each quarter's status and deadline."""
    context = {
        "fiscal_year": fiscal_year,
        "periods": list(fiscal_year.quarters.order_by("quarter")),
        "rows": quarter_statuses(request.user, fiscal_year),
        "today": today,
    }
    return render(request, "reports/home_staff.html", context)


def overview(request: HttpRequest, years: list[FiscalYear], today) -> HttpResponse:
    """Reporting progress per unit for one quarter of a fiscal year (their choice)."""
    fiscal_year, quarter = chosen_period(
        years, request.GET.get("year", ""), request.GET.get("quarter", ""), today
    )
    # As the dashboard: everyone who reads everything sees the same figures, rendered once
    # per year, quarter, language and version of the data they count (FiguresVersion: a
    # report's status, indicators, units, years), computed only when the cache has none.
    version = FiguresVersion.current()
    counted = SimpleLazyObject(lambda: reporting_by_unit(fiscal_year, quarter))
    context = {
        "fiscal_year": fiscal_year,
        "years": years,
        "quarter": quarter,
        "quarters": QUARTERS,
        "rows": SimpleLazyObject(lambda: counted[0]),
        "summary": SimpleLazyObject(lambda: counted[1]),
        "cache_key": f"{fiscal_year.year}:{quarter}:{get_language()}:{version}",
        "cache_seconds": CACHE_SECONDS if version is not None else 0,
    }
    return render(request, "reports/home_overview.html", context)
