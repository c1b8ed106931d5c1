"""Review by auditors: the queue of submitted quarters, scoring with acceptance or
return; and administrators reopening an accepted quarter. The unit's staff are told
(reports.services: the change and the notifications in one transaction)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from indicators.access import principal, require, visible_indicators
from indicators.models import QUARTERS, FiscalYear, OrgUnit
from indicators.templatetags.thai import be_date, num
from kpi_portal.navigation import query_without_page
from reports.forms import ReopenForm, ReviewForm, review_initial
from reports.models import QuarterReport, ReportRefused
from reports.selectors import waiting_reports
from reports.services import reopen_report, review_report
from reports.sheet import sheet_for_user
from reports.views.entry import check_quarter


def render_review(request, context, form, status=200):
    return render(request, "reports/quarter_review.html", {**context, "form": form}, status=status)


def review_refusal(context: dict, form: ReviewForm) -> int | None:
    """The status for a posted review that cannot be recorded (the reason put on ``form``)."""
    if not context["reviewable"]:
        form.is_valid()
        form.add_error(None, _("Only a submitted report can be reviewed."))
        return 403
    return None if form.is_valid() else 400


@require_http_methods(["GET", "HEAD", "POST"])
def quarter_review(request: HttpRequest, pk: int, quarter: int) -> HttpResponse:
    """Auditors score a submitted quarter, then accept it or return it with a comment."""
    check_quarter(quarter)
    sheet = sheet_for_user(request.user, pk)
    require(principal(request.user).may_review)
    row = sheet.rows[quarter - 1]
    report, fiscal_year = row.report, sheet.indicator.fiscal_year
    reviewable = report is not None and report.is_submitted
    context = {"sheet": sheet, "quarter": quarter, "row": row, "report": report, "reviewable": reviewable}
    if request.method != "POST":
        form = ReviewForm(initial=review_initial(report, row.score), fiscal_year=fiscal_year, accepting=True)
        return render_review(request, context, form)
    accepting = "accept" in request.POST
    form = ReviewForm(request.POST, fiscal_year=fiscal_year, accepting=accepting)
    if status := review_refusal(context, form):
        return render_review(request, context, form, status=status)
    try:
        review_report(
            report, request.user, accept=accepting, version=form.cleaned_data["version"], review=form.review()
        )
    except ReportRefused:
        form.add_error(None, _("The report changed while you reviewed it; reload the page to see it."))
        return render_review(request, context, form, status=409)
    if accepting:
        messages.success(request, _("Quarter %(quarter)s accepted.") % {"quarter": quarter})
    else:
        messages.success(request, _("Quarter %(quarter)s returned for revision.") % {"quarter": quarter})
    return redirect("review_queue")


@require_POST
def quarter_reopen(request: HttpRequest, pk: int, quarter: int) -> HttpResponse:
    """Administrators reopen an accepted quarter, giving a reason the unit will see."""
    check_quarter(quarter)
    indicator = get_object_or_404(visible_indicators(request.user), pk=pk)
    require(principal(request.user).may_reopen)
    report = get_object_or_404(QuarterReport, indicator=indicator, quarter=quarter)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect("indicator_detail", pk=pk)
    try:
        reopen_report(report, request.user, form.cleaned_data["reason"], request=request)
    except ReportRefused:
        messages.error(request, _("Only an accepted quarter can be reopened."))
    else:
        messages.success(request, _("Quarter %(quarter)s reopened for the unit.") % {"quarter": quarter})
    return redirect("indicator_detail", pk=pk)


@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted quarters waiting for the auditors, oldest first."""
    require(principal(request.user).may_review)
    filters = {name: request.GET.get(name, "") for name in ("year", "unit", "quarter")}
    page = Paginator(waiting_reports(filters), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": queue_rows(page),
        "year_options": options(
            [(str(year.year), str(year.year)) for year in FiscalYear.objects.all()], filters["year"]
        ),
        "unit_options": options(
            [(unit.code, f"{unit.code} {unit.name}") for unit in OrgUnit.objects.all()], filters["unit"]
        ),
        "quarter_options": options(
            [(str(quarter), str(quarter)) for quarter in QUARTERS], filters["quarter"]
        ),
        "query": query_without_page(request),
    }
    return render(request, "reports/review_queue.html", context)


def options(choices: list[tuple[str, str]], chosen: str) -> SafeString:
    """A filter's ``<option>`` elements (``value``, ``label``), the ``chosen`` value selected,
    built here: one template loop, tags and filters per option were a large share of the
    queue's CPU time (a city has some 70 units)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == chosen else "", label) for value, label in choices),
    )


# One row's cells, as the template wrote them (values escaped by format_html).
ROW = "\n".join(
    "      " + cell
    for cell in (
        '<td class="text-nowrap">{submitted}{late}</td>',
        '<td class="text-nowrap">{unit_code}-{code}</td>',
        '<td class="cell-name">{name}</td>',
        '<td class="cell-unit">{unit_name}</td>',
        "<td>{quarter}/{year}</td>",
        '<td class="text-end text-nowrap">{result}'
        ' <span class="text-body-secondary small">{unit_of_measure}</span></td>',
        '<td class="text-nowrap"><a class="btn btn-sm btn-primary" href="{url}">{review}</a></td>',
    )
)


def queue_rows(page) -> list[SafeString]:
    """The queue's table rows (the cells of each ``<tr>``), built once here rather than by
    the template's tags, filters and a url tag per row: they were most of the page's CPU
    time for a page of 50 reports. The same HTML as the template made."""
    late = format_html(' <span class="badge text-bg-warning">{}</span>', _("late"))
    review = _("Review")
    rows = []
    for report in page:
        indicator = report.indicator
        rows.append(
            format_html(
                ROW,
                submitted=be_date(report.submitted_at, "short"),
                late=late if report.is_late else "",
                unit_code=indicator.org_unit.code,
                code=indicator.code,
                name=indicator.name,
                unit_name=indicator.org_unit.name,
                quarter=report.quarter,
                year=indicator.fiscal_year.year,
                result=num(report.result, 2),
                unit_of_measure=indicator.get_unit_of_measure_display(),
                url=reverse("quarter_review", args=[report.indicator_id, report.quarter]),
                review=review,
            )
        )
    return rows
