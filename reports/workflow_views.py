"""Quarter entry by unit staff, review by auditors, reopening by administrators."""

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from indicators.access import get_indicator_for_user, principal, require, visible_indicators
from indicators.models import QUARTERS, FiscalYear, OrgUnit
from kpi_portal import two_factor
from reports import services
from reports.forms import QuarterReportForm, ReopenForm, ReviewForm, report_initial
from reports.models import EvidenceFile, QuarterReport
from reports.selectors import by_quarter, entry_indicator
from reports.sheet import sheet_for_user
from reports.views import back_url


def check_quarter(quarter: int) -> None:
    if quarter not in QUARTERS:
        raise Http404


def quarter_context(indicator, quarter):
    reports = by_quarter(indicator.reports.all())
    periods = by_quarter(indicator.fiscal_year.quarters.all())
    targets = by_quarter(indicator.targets.all())
    scores = by_quarter(indicator.scores.all())
    report = reports.get(quarter)
    period = periods.get(quarter)
    locked = period is not None and period.is_locked
    return {
        "indicator": indicator,
        "quarter": quarter,
        "report": report,
        "period": period,
        "locked": locked,
        "target": targets.get(quarter),
        "score": scores.get(quarter),
        "previous": [(q, reports.get(q), targets.get(q)) for q in QUARTERS if q < quarter],
        "editable": not locked and (report is None or report.is_editable_by_unit),
        "overdue": period is not None and timezone.localdate() > period.due_date,
    }


def render_entry(request, context, form, status=200):
    return render(request, "reports/quarter_report.html", {**context, "form": form}, status=status)


def reauthenticate(request: HttpRequest) -> bool:
    """Sign the user in again from the credentials typed on the "session expired" page."""
    username = request.POST.get("reauth_username", "")
    password = request.POST.get("reauth_password", "")
    code = request.POST.get("reauth_code", "")
    if not username or not password or "\x00" in username + password + code:
        return False  # (NUL: no account or code has it, and PostgreSQL refuses it in a query)
    user = authenticate(request, username=username, password=password)
    if user is None:
        return False
    # Two-factor sign-in: who needs a second factor types its code here too.
    check = two_factor.check_code(user, code, request=request)
    if check.device is None and two_factor.code_needed(user):
        return False
    login(request, user)
    if check.device is not None:
        two_factor.complete_sign_in(request, check.device)
    return True


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def quarter_report(request: HttpRequest, pk: int, quarter: int) -> HttpResponse:
    """Unit staff enter a quarter's result, narrative and evidence; save a draft or submit."""
    if not request.user.is_authenticated:
        if request.method != "POST":
            return redirect_to_login(request.get_full_path())
        if not reauthenticate(request):
            # The session expired while the user typed: show what they typed, ask them to sign in.
            return render(
                request,
                "reports/resubmit.html",
                {
                    "reason": "session",
                    "fields": resubmit_fields(request),
                    "action": reverse("quarter_report", args=[pk, quarter]),
                    "failed": "reauth_username" in request.POST,
                },
                status=401,
            )
    check_quarter(quarter)
    indicator = entry_indicator(request.user, pk)
    require(principal(request.user).reports_for(indicator))
    context = quarter_context(indicator, quarter)
    if request.method != "POST":
        form = QuarterReportForm(initial=report_initial(context["report"]), indicator=indicator)
        return render_entry(request, context, form)

    submitting = "submit" in request.POST
    form = QuarterReportForm(request.POST, request.FILES, indicator=indicator, submitting=submitting)
    if not context["editable"]:
        form.is_valid()
        if context["locked"]:
            form.add_error(None, _("This quarter is locked: reports can no longer be changed."))
        else:
            form.add_error(None, _("This report was submitted or accepted and can no longer be changed."))
        return render_entry(request, context, form, status=403)
    if not form.is_valid():
        return render_entry(request, context, form, status=400)
    draft = services.Draft(result=form.cleaned_data["result"], narrative=form.cleaned_data["narrative"])
    try:
        report = services.save_report(
            indicator,
            quarter,
            request.user,
            draft,
            form.cleaned_data["version"],
            submit=submitting,
            files=form.cleaned_data["evidence"],
        )
    except services.VersionConflict as conflict:
        return render(
            request,
            "reports/conflict.html",
            {**context, "mine": draft, "theirs": conflict.current, "form": form},
            status=409,
        )
    except services.ReportError:
        form.add_error(None, _("This report can no longer be changed."))
        return render_entry(request, context, form, status=403)
    if submitting:
        message = _("Quarter %(quarter)s report submitted.") % {"quarter": quarter}
        if report.is_late:
            message += " " + _("It was submitted after the deadline and is marked late.")
        messages.success(request, message)
    else:
        messages.success(request, _("Draft saved."))
    return redirect("quarter_report", pk=pk, quarter=quarter)


@login_not_required
@require_POST
def quarter_autosave(request: HttpRequest, pk: int, quarter: int) -> JsonResponse:
    """Store the draft while the user types; answers JSON for static/js/autosave.js."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": "session", "message": _("Your session has expired: sign in again to keep saving.")},
            status=401,
        )
    check_quarter(quarter)
    indicator = entry_indicator(request.user, pk)
    require(principal(request.user).reports_for(indicator))
    report = by_quarter(indicator.reports.all()).get(quarter)
    form = QuarterReportForm(request.POST, indicator=indicator)
    form.is_valid()
    # A draft keeps text the entry form would refuse (HTML tags, a missing result), but
    # not text that cannot be stored: too long, or with NUL characters.
    for error in form.errors.as_data().get("narrative", []):
        if error.code in ("max_length", "null_characters_not_allowed"):
            return JsonResponse({"error": "invalid", "message": error.messages[0]}, status=400)
    if "version" not in form.cleaned_data:
        return JsonResponse(
            {"error": "invalid", "message": _("The page is out of date: reload it.")}, status=400
        )
    # A draft keeps whatever the user has typed so far; a result that is not
    # (yet) a valid number leaves the saved result as it was.
    result = form.cleaned_data.get("result") if "result" not in form.errors else None
    if result is None and "result" in form.errors and report is not None:
        result = report.result
    narrative = request.POST.get("narrative", "").replace("\r\n", "\n")
    try:
        saved = services.save_report(
            indicator,
            quarter,
            request.user,
            services.Draft(result=result, narrative=narrative),
            form.cleaned_data["version"],
        )
    except services.VersionConflict:
        return JsonResponse(
            {
                "error": "conflict",
                "message": _("Someone else saved this report meanwhile. Press Save to compare the texts."),
            },
            status=409,
        )
    except services.ReportError:
        return JsonResponse(
            {"error": "locked", "message": _("This report can no longer be changed.")}, status=403
        )
    saved_at = timezone.localtime(saved.updated_at)
    return JsonResponse(
        {
            "version": saved.version,
            "saved_at": saved_at.isoformat(),
            "message": _("Draft saved at %(time)s") % {"time": f"{saved_at:%H:%M:%S}"},
        }
    )


# The entry form's fields a "not saved yet" page gives back: what the user typed and
# the version they started from. Never anything else that was posted (a password,
# "submit", another form's fields): the page must not become a way to send those.
RESUBMIT_FIELDS = ("result", "narrative", "version")


def resubmit_fields(request: HttpRequest) -> dict[str, str]:
    """The entry form's text fields as posted (files cannot be given back)."""
    return {name: request.POST.get(name, "") for name in RESUBMIT_FIELDS}


def is_same_origin(request: HttpRequest) -> bool:
    """Whether the browser says the request comes from one of the portal's own pages.

    Sec-Fetch-Site is set by the browser and cannot be forged by a page; without it
    (older browsers) the Origin header, then the Referer, must name this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    own = f"{request.scheme}://{request.get_host()}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    return request.headers.get("Referer", "").startswith(own + "/")


def entry_after_csrf_failure(request: HttpRequest) -> tuple[int, int] | None:
    """(indicator pk, quarter) when a failed CSRF check may give the typed text back.

    Only to a signed-in user posting the quarter entry form from our own pages, for an
    indicator they report for. A forged cross-site POST gets nothing back: shown the
    attacker's text with a fresh token, a victim could save it with one click."""
    if not request.user.is_authenticated or not is_same_origin(request):
        return None
    try:
        match = resolve(request.path_info)
    except Http404:
        return None
    if match.url_name != "quarter_report" or match.kwargs["quarter"] not in QUARTERS:
        return None
    try:
        indicator = get_indicator_for_user(request.user, match.kwargs["pk"])
    except Http404:
        return None
    if not principal(request.user).reports_for(indicator):
        return None
    return indicator.pk, match.kwargs["quarter"]


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A failed CSRF check (settings.CSRF_FAILURE_VIEW) changes nothing and echoes nothing
    that was posted, with one exception: the entry form's text, shown again to its
    author in an editable form that only saves a draft (``entry_after_csrf_failure``)."""
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse(
            {"error": "csrf", "message": _("The page's security token has expired: reload the page.")},
            status=403,
        )
    entry = entry_after_csrf_failure(request)
    if entry is None:
        return render(request, "reports/csrf_failure.html", {"back_url": back_url(request)}, status=403)
    return render(
        request,
        "reports/resubmit.html",
        {
            "reason": "csrf",
            "fields": resubmit_fields(request),
            "action": reverse("quarter_report", args=entry),
            "failed": False,
        },
        status=403,
    )


def evidence_for_user(request, evidence_id) -> EvidenceFile:
    evidence = get_object_or_404(EvidenceFile.objects.select_related("report__indicator"), pk=evidence_id)
    if not visible_indicators(request.user).filter(pk=evidence.report.indicator_id).exists():
        raise Http404
    return evidence


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
        services.remove_evidence(evidence, request.user)
    except services.ReportError:
        messages.error(request, _("This report can no longer be changed."))
    else:
        messages.success(request, _("%(name)s removed.") % {"name": evidence.original_name})
    return redirect("quarter_report", pk=report.indicator_id, quarter=report.quarter)


@require_http_methods(["GET", "HEAD", "POST"])
def quarter_review(request: HttpRequest, pk: int, quarter: int) -> HttpResponse:
    """Auditors score a submitted quarter, then accept it or return it with a comment."""
    check_quarter(quarter)
    sheet = sheet_for_user(request.user, pk)
    indicator = sheet.indicator
    require(principal(request.user).is_auditor)
    row = sheet.rows[quarter - 1]
    report = row.report
    reviewable = report is not None and report.status == QuarterReport.Status.SUBMITTED
    context = {"sheet": sheet, "quarter": quarter, "row": row, "report": report, "reviewable": reviewable}
    if request.method != "POST":
        score = row.score
        initial = {"version": report.version if report else 0}
        if score is not None:
            initial |= {
                "score": score.score,
                "criterion_1": score.criterion_1,
                "criterion_2": score.criterion_2,
                "is_verification": score.is_verification,
                "comment": score.comment,
            }
        form = ReviewForm(initial=initial, fiscal_year=indicator.fiscal_year, accepting=True)
        return render(request, "reports/quarter_review.html", {**context, "form": form})

    accepting = "accept" in request.POST
    form = ReviewForm(request.POST, fiscal_year=indicator.fiscal_year, accepting=accepting)
    if not reviewable:
        form.is_valid()
        form.add_error(None, _("Only a submitted report can be reviewed."))
        return render(request, "reports/quarter_review.html", {**context, "form": form}, status=403)
    if not form.is_valid():
        return render(request, "reports/quarter_review.html", {**context, "form": form}, status=400)
    data = form.cleaned_data
    try:
        services.review_report(
            report,
            request.user,
            accept=accepting,
            comment=data["comment"],
            score=data["score"],
            criterion_1=data["criterion_1"],
            criterion_2=data["criterion_2"],
            is_verification=data["is_verification"],
            version=data["version"],
        )
    except services.ReportError:
        form.add_error(None, _("The report changed while you reviewed it; reload the page to see it."))
        return render(request, "reports/quarter_review.html", {**context, "form": form}, status=409)
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
    require(principal(request.user).is_administrator)
    report = get_object_or_404(QuarterReport, indicator=indicator, quarter=quarter)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        error = form.errors.as_data()["reason"][0]
        if error.code == "required":
            messages.error(request, _("Give a reason for reopening the quarter."))
        else:
            messages.error(request, error.messages[0])
    else:
        try:
            services.reopen_report(report, request.user, form.cleaned_data["reason"], request=request)
        except services.ReportError:
            messages.error(request, _("Only an accepted quarter can be reopened."))
        else:
            messages.success(request, _("Quarter %(quarter)s reopened for the unit.") % {"quarter": quarter})
    return redirect("indicator_detail", pk=pk)


@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted quarters waiting for the auditors, oldest first."""
    who = principal(request.user)
    require(who.is_auditor or who.is_administrator)
    reports = QuarterReport.objects.filter(status=QuarterReport.Status.SUBMITTED).select_related(
        "indicator__org_unit", "indicator__fiscal_year", "submitted_by"
    )
    years = FiscalYear.objects.all()
    units = OrgUnit.objects.all()
    filters = {
        "year": request.GET.get("year", ""),
        "unit": request.GET.get("unit", ""),
        "quarter": request.GET.get("quarter", ""),
    }
    if filters["year"].isdigit():
        reports = reports.filter(indicator__fiscal_year__year=int(filters["year"]))
    if filters["unit"]:
        reports = reports.filter(indicator__org_unit__code=filters["unit"])
    if filters["quarter"].isdigit():
        reports = reports.filter(quarter=int(filters["quarter"]))
    page = Paginator(reports.order_by("submitted_at", "pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/review_queue.html",
        {
            "page": page,
            "years": years,
            "units": units,
            "quarters": QUARTERS,
            "filters": filters,
            "query": query.urlencode(),
        },
    )
