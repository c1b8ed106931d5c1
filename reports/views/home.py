"""Each role's start page: unit staff their units' quarters, auditors the review queue,
executives and administrators the reporting progress per unit."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from indicators.access import principal
from indicators.models import QUARTERS, FiscalYear, Indicator
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


@dataclass(frozen=True)
class QuarterCell:
    """One quarter of an indicator on the staff's home page, as the page shows it."""

    label: str  # "Q1"
    url: str  # its entry page
    status: SafeString  # its status badge (reports/_status.html)
    overdue: bool  # past the deadline, not locked, still the unit's to change


@dataclass(frozen=True)
class StaffRow:
    indicator: Indicator
    url: str
    cells: list[QuarterCell]


def staff_rows(statuses, periods, today) -> list[StaffRow]:
    """The page's rows, worked out once here: the page shows each twice (a list on
    phones, a table on wider screens), and the template's tags, 280 links and status
    badges for a unit's 35 indicators, were most of the page's CPU time. A status badge
    is rendered once per status and lateness, not once per cell."""
    due = {period.quarter: period for period in periods}
    labels = {quarter: _("Q%(quarter)s") % {"quarter": quarter} for quarter in QUARTERS}
    badges = {}
    rows = []
    for indicator, reports in statuses:
        cells = []
        for quarter, report in zip(QUARTERS, reports, strict=True):
            shown = (report.status, report.is_late) if report is not None else None
            if shown not in badges:
                badges[shown] = render_to_string("reports/_status.html", {"report": report})
            period = due.get(quarter)
            open_to_unit = report is None or report.is_editable_by_unit
            past_due = period is not None and not period.is_locked and period.effective_due_date < today
            url = reverse("quarter_report", args=[indicator.pk, quarter])
            cells.append(QuarterCell(labels[quarter], url, badges[shown], open_to_unit and past_due))
        rows.append(StaffRow(indicator, indicator.get_absolute_url(), cells))
    return rows


def staff_home(request: HttpRequest, fiscal_year: FiscalYear, today) -> HttpResponse:
    """The staff member's units' indicators, each quarter's status and deadline."""
    periods = list(fiscal_year.quarters.order_by("quarter"))
    context = {
        "fiscal_year": fiscal_year,
        "periods": periods,
        "rows": staff_rows(quarter_statuses(request.user, fiscal_year), periods, today),
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
