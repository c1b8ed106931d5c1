"""Quarter entry by unit staff: the form, its autosave and evidence files; what a
session that expired, or a failed CSRF check, leaves of what was typed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from indicators import thai
from indicators.access import get_indicator_for_user, principal, require
from indicators.models import QUARTERS, Indicator
from kpi_portal.csrf import gives_back_after_csrf_failure
from kpi_portal.session_views import reauthenticate
from reports import services
from reports.access import visible_evidence
from reports.forms import QuarterReportForm, report_initial
from reports.models import EvidenceFile, QuarterReport, ReportRefused, VersionConflict
from reports.selectors import autosave_report, by_quarter, entry_indicator

# The entry form's fields a "not saved yet" page gives back: what the user typed and
# the version they started from. Never anything else that was posted (a password,
# "submit", another form's fields): the page must not become a way to send those.
RESUBMIT_FIELDS = ("result", "narrative", "version")


def check_quarter(quarter: int) -> None:
    if quarter not in QUARTERS:
        raise Http404


def reporting_indicator(request: HttpRequest, pk: int, quarter: int) -> Indicator:
    """The indicator whose ``quarter`` the user reports, with what the entry page shows:
    404 for an indicator they may not see, 403 when they do not report for it."""
    check_quarter(quarter)
    indicator = entry_indicator(request.user, pk)
    require(principal(request.user).reports_for(indicator))
    return indicator


def quarter_context(indicator: Indicator, quarter: int) -> dict:
    reports = by_quarter(indicator.reports.all())
    periods = by_quarter(indicator.fiscal_year.quarters.all())
    targets = by_quarter(indicator.targets.all())
    report, period = reports.get(quarter), periods.get(quarter)
    locked = period is not None and period.is_locked
    today = timezone.localdate()
    starts = thai.quarter_start(indicator.fiscal_year.year, quarter)
    return {
        "indicator": indicator,
        "quarter": quarter,
        "report": report,
        "period": period,
        "locked": locked,
        "target": targets.get(quarter),
        "score": by_quarter(indicator.scores.all()).get(quarter),
        "previous": [(q, reports.get(q), targets.get(q)) for q in QUARTERS if q < quarter],
        "editable": not locked and (report is None or report.is_editable_by_unit),
        "overdue": period is not None and period.is_past_due(today),
        # Reporting a quarter before it starts is allowed (plans change, a result may be
        # known early) but is more often the wrong quarter: the page warns.
        "starts": starts if today < starts else None,
    }


def render_entry(request, context, form, status=200):
    return render(request, "reports/quarter_report.html", {**context, "form": form}, status=status)


def resubmit_fields(request: HttpRequest) -> dict[str, str]:
    """The entry form's text fields as posted (files cannot be given back)."""
    return {name: request.POST.get(name, "") for name in RESUBMIT_FIELDS}


def resubmit_page(request: HttpRequest, reason: str, pk: int, quarter: int, status: int) -> HttpResponse:
    """What the user typed, in an editable form that saves it (after signing in again
    when ``reason`` is "session": ``failed`` when they tried and failed)."""
    context = {
        "reason": reason,
        "fields": resubmit_fields(request),
        "action": reverse("quarter_report", args=[pk, quarter]),
        "failed": reason == "session" and "reauth_username" in request.POST,
    }
    return render(request, "reports/resubmit.html", context, status=status)


def entry_after_csrf_failure(request: HttpRequest, pk: int, quarter: int) -> HttpResponse | None:
    """After a failed CSRF check (kpi_portal.csrf): the text again, to its author only."""
    if quarter not in QUARTERS:
        return None
    try:
        indicator = get_indicator_for_user(request.user, pk)
    except Http404:
        return None
    if not principal(request.user).reports_for(indicator):
        return None
    return resubmit_page(request, "csrf", indicator.pk, quarter, status=403)


def session_expired(request: HttpRequest, pk: int, quarter: int) -> HttpResponse | None:
    """For a visitor whose session ended: the sign-in page; after a POST, what they typed
    with a sign-in form that saves it. None once they signed in again from that form."""
    if request.method != "POST":
        return redirect_to_login(request.get_full_path())
    if reauthenticate(request):
        return None
    return resubmit_page(request, "session", pk, quarter, status=401)


def refusal(context: dict, form: QuarterReportForm) -> int | None:
    """The status for a posted entry that cannot be saved (the reason put on ``form``)."""
    if not context["editable"]:
        form.is_valid()
        if context["locked"]:
            form.add_error(None, _("This quarter is locked: reports can no longer be changed."))
        else:
            form.add_error(None, _("This report was submitted or accepted and can no longer be changed."))
        return 403
    return None if form.is_valid() else 400


def saved_message(report: QuarterReport, quarter: int, submitted: bool) -> str:
    if not submitted:
        return _("Draft saved.")
    message = _("Quarter %(quarter)s report submitted.") % {"quarter": quarter}
    if report.is_late:
        message += " " + _("It was submitted after the deadline and is marked late.")
    return message


@gives_back_after_csrf_failure(entry_after_csrf_failure)
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def quarter_report(request: HttpRequest, pk: int, quarter: int) -> HttpResponse:
    """Unit staff enter a quarter's result, narrative and evidence; save a draft or submit."""
    if not request.user.is_authenticated:
        expired = session_expired(request, pk, quarter)
        if expired is not None:
            return expired
    if request.method != "POST":
        indicator = reporting_indicator(request, pk, quarter)
        context = quarter_context(indicator, quarter)
        form = QuarterReportForm(initial=report_initial(context["report"]), indicator=indicator)
        return render_entry(request, context, form)
    # A save reads only the report and its indicator (the save checks the lock, the
    # status and the version); what the page shows is read only when it is shown again.
    check_quarter(quarter)
    indicator = autosave_report(request.user, pk, quarter).indicator
    require(principal(request.user).reports_for(indicator))
    submitting = "submit" in request.POST
    form = QuarterReportForm(request.POST, request.FILES, indicator=indicator, submitting=submitting)
    if form.is_valid():
        files = form.cleaned_data["evidence"]
        try:
            report = services.save_report(
                indicator, quarter, request.user, **form.report_fields(), submit=submitting, files=files
            )
        except VersionConflict as conflict:
            context = quarter_context(reporting_indicator(request, pk, quarter), quarter)
            context |= {"mine": form.cleaned_data, "theirs": conflict.current, "form": form}
            return render(request, "reports/conflict.html", context, status=409)
        except ReportRefused:
            pass
        else:
            messages.success(request, saved_message(report, quarter, submitting))
            return redirect("quarter_report", pk=pk, quarter=quarter)
    context = quarter_context(reporting_indicator(request, pk, quarter), quarter)
    if status := refusal(context, form):
        return render_entry(request, context, form, status=status)
    # Editable when read just now, yet refused a moment before (a lock, a submission).
    form.add_error(None, _("This report can no longer be changed."))
    return render_entry(request, context, form, status=403)


def json_error(error: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": error, "message": message}, status=status)


@login_not_required
@require_POST
def quarter_autosave(request: HttpRequest, pk: int, quarter: int) -> JsonResponse:
    """Store the draft while the user types; answers JSON for static/js/autosave.js."""
    if not request.user.is_authenticated:
        return json_error("session", _("Your session has expired: sign in again to keep saving."), 401)
    check_quarter(quarter)
    # Only what the save needs: the report and its indicator (whose unit decides the
    # right to report); the lock is checked by the save itself.
    report = autosave_report(request.user, pk, quarter)
    require(principal(request.user).reports_for(report.indicator))
    form = QuarterReportForm(request.POST, indicator=report.indicator)
    try:
        draft = form.draft(report if report.pk else None)
    except ValidationError as error:
        return json_error("invalid", error.messages[0], 400)
    try:
        report.save_draft(by=request.user, **draft)
    except VersionConflict:
        message = _("Someone else saved this report meanwhile. Press Save to compare the texts.")
        return json_error("conflict", message, 409)
    except ReportRefused:
        return json_error("locked", _("This report can no longer be changed."), 403)
    saved_at = timezone.localtime(report.updated_at)
    return JsonResponse(
        {
            "version": report.version,
            "saved_at": saved_at.isoformat(),
            "message": _("Draft saved at %(time)s") % {"time": f"{saved_at:%H:%M:%S}"},
        }
    )


def evidence_for_user(request: HttpRequest, evidence_id: int) -> EvidenceFile:
    return get_object_or_404(
        visible_evidence(request.user).select_related("report__indicator"), pk=evidence_id
    )


@require_safe
@cache_control(private=True, no_store=True)
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = evidence_for_user(request, evidence_id)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = evidence_for_user(request, evidence_id)
    report = evidence.report
    require(principal(request.user).reports_for(report.indicator))
    try:
        evidence.remove(by=request.user)
    except ReportRefused:
        messages.error(request, _("This report can no longer be changed."))
    else:
        messages.success(request, _("%(name)s removed.") % {"name": evidence.original_name})
    return redirect("quarter_report", pk=report.indicator_id, quarter=report.quarter)
