"""The indicator detail sheet: its page, with what the user may do each quarter, and its PDF."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from indicators.access import principal
from indicators.models import QUARTERS
from indicators.people import display_name
from kpi_portal.navigation import back_url
from reports.models import QuarterReport
from reports.sheet import QuarterRow
from reports.sheet_page import join_parts, sheet_parts
from reports.sheet_pdf import indicator_for_user, sheet_pdf


@require_safe
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Access first: the sheet's cache is asked only for an indicator this user may read.
    indicator = indicator_for_user(request.user, pk)
    parts, sheet = sheet_parts(indicator)
    back = back_url(request)
    context = {
        "indicator": indicator,
        # The quarters' actions depend on the user: rendered per request, from the sheet's
        # reports when it was fetched, else from a query run only if the actions are shown.
        "rows": sheet.rows if sheet is not None else SimpleLazyObject(lambda: quarter_rows(indicator)),
        "sheet": sheet,
        "sheet_html": join_parts(parts, back) if parts is not None else None,
        "back_url": back,
        "can_report": principal(request.user).reports_for(indicator),
    }
    return render(request, "reports/indicator_detail.html", context)


def quarter_rows(indicator) -> list[QuarterRow]:
    """Each quarter with its report's status (what the quarters' actions show), one query."""
    reports = QuarterReport.objects.filter(indicator=indicator)
    reports = reports.only("indicator", "quarter", "status", "is_late")
    by_quarter = {report.quarter: report for report in reports}
    return [QuarterRow(quarter, report=by_quarter.get(quarter)) for quarter in QUARTERS]


# No ETag or Last-Modified: each print is new (its footer says who printed it, and when,
# to the minute), and no-store leaves the browser no copy to revalidate. What a repeat
# print saves is the rendering: the body comes from the cache (reports/sheet_pdf.py),
# found by the sheet's content key without fetching the sheet.
@require_safe
@cache_control(private=True, no_store=True)
def indicator_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # Access first: the PDF cache is asked only for a sheet this user may read.
    indicator = indicator_for_user(request.user, pk)
    pdf = sheet_pdf(indicator, timezone.localtime(), display_name(request.user))
    filename = f"{indicator.org_unit.code}-{indicator.code}-{indicator.fiscal_year.year}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
