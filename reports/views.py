from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from indicators import thai
from indicators.access import principal, require, visible_indicators
from indicators.models import Indicator, QuarterTarget
from indicators.people import display_name
from kpi_portal.navigation import back_url
from reports.models import AnnualSummary, AuditScore, EvidenceFile, QuarterReport
from reports.pdf import render_pdf
from reports.sheet import sheet_for_user


@require_safe
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = sheet_for_user(request.user, pk)
    who = principal(request.user)
    return render(
        request,
        "reports/indicator_detail.html",
        {
            "sheet": sheet,
            "back_url": back_url(request),
            "can_report": who.reports_for(sheet.indicator),
            "can_review": who.is_auditor,
            "can_reopen": who.is_administrator,
            "can_see_history": who.is_auditor or who.is_administrator,
        },
    )


@require_safe
@cache_control(private=True, no_store=True)
def indicator_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = sheet_for_user(request.user, pk)
    indicator = sheet.indicator
    unit = indicator.org_unit
    printed_at = timezone.localtime()
    printed_by = display_name(request.user)
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


# What the history page shows, per model: the fields a person changes.
HISTORY_FIELDS = {
    Indicator: [
        "name",
        "annual_target",
        "unit_of_measure",
        "definition",
        "calculation_method",
        "data_source",
    ],
    QuarterTarget: ["target"],
    QuarterReport: ["result", "narrative", "status", "return_comment"],
    AuditScore: ["score", "criterion_1", "criterion_2", "is_verification", "comment"],
    AnnualSummary: ["text"],
    EvidenceFile: ["original_name"],
}


def history_entries(indicator: Indicator) -> list[dict]:
    """Every recorded change of the indicator and what belongs to it, newest first:
    who, when, which field, from what to what (one query per model)."""
    entries = []
    for model, fields in HISTORY_FIELDS.items():
        if model is Indicator:
            records = model.history.filter(id=indicator.pk)
        elif model is EvidenceFile:
            records = model.history.filter(report__indicator_id=indicator.pk)
        else:
            records = model.history.filter(indicator_id=indicator.pk)
        records = records.select_related("history_user").order_by("id", "history_date", "history_id")
        previous_by_object = {}
        for record in records:
            previous = previous_by_object.get(record.id)
            previous_by_object[record.id] = record
            quarter = getattr(record, "quarter", None)
            if model is EvidenceFile:
                quarter = None
            changes = []
            for field in fields:
                old = getattr(previous, field) if previous is not None else None
                new = getattr(record, field)
                if record.history_type == "-":
                    new = None
                    old = getattr(record, field)
                if old != new and not (previous is None and new in (None, "")):
                    changes.append(
                        {"field": model._meta.get_field(field).verbose_name, "old": old, "new": new}
                    )
            if changes or record.history_type == "-":
                entries.append(
                    {
                        "when": record.history_date,
                        "who": display_name(record.history_user),
                        "what": model._meta.verbose_name,
                        "quarter": quarter,
                        "kind": record.get_history_type_display(),
                        "reason": record.history_change_reason,
                        "changes": changes,
                    }
                )
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries


@require_safe
def indicator_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed which target, result, narrative, score or status, when, from what to what."""
    indicator = get_object_or_404(
        visible_indicators(request.user).select_related("org_unit", "fiscal_year"), pk=pk
    )
    who = principal(request.user)
    require(who.is_auditor or who.is_administrator)
    return render(
        request,
        "reports/indicator_history.html",
        {"indicator": indicator, "entries": history_entries(indicator)},
    )
