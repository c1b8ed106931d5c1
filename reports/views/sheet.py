"""The indicator detail sheet: its page, with what the user may do each quarter, and its PDF."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from indicators.access import principal
from indicators.people import display_name
from kpi_portal.navigation import back_url
from reports.sheet import sheet_for_user
from reports.sheet_pdf import indicator_for_user, sheet_pdf


@require_safe
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = sheet_for_user(request.user, pk)
    context = {
        "sheet": sheet,
        "back_url": back_url(request),
        "can_report": principal(request.user).reports_for(sheet.indicator),
    }
    return render(request, "reports/indicator_detail.html", context)


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
