from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from indicators import thai
from reports.pdf import render_pdf
from reports.sheet import get_sheet


def back_url(request: HttpRequest) -> str:
    """Where "Back" leads: the page the user came from on this site, else the list."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("indicator_list")


def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = get_sheet(pk)
    return render(
        request,
        "reports/indicator_detail.html",
        {"sheet": sheet, "back_url": back_url(request)},
    )


def indicator_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = get_sheet(pk)
    indicator = sheet.indicator
    unit = indicator.org_unit
    printed_at = timezone.localtime()
    printed_by = request.user.get_full_name() or request.user.get_username()
    context = {
        "sheet": sheet,
        "printed_at": printed_at,
        "printed_by": printed_by,
        "header_left": f"{unit.code} {unit.name}",
        "header_right": _("Indicator %(code)s · Fiscal year %(year)s")
        % {"code": indicator.full_code, "year": indicator.fiscal_year.year},
        "footer_left": _("Printed %(date)s by %(user)s")
        % {"date": thai.format_datetime(printed_at), "user": printed_by},
        "page_label": _("Page"),
        "of_label": _("of"),
    }
    pdf = render_pdf("reports/indicator_pdf.html", context, request=request)
    filename = f"{unit.code}-{indicator.code}-{indicator.fiscal_year.year}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
