"""Writes that span several models: saving, submitting and reviewing quarter reports.

Every write checks the quarter's lock and the report's version inside one
transaction: nothing is silently overwritten.
"""

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from indicators import audit
from indicators.models import FiscalQuarter, Indicator
from reports.models import AuditScore, EvidenceFile, QuarterReport


class ReportError(Exception):
    """A write that must not happen; the view shows ``message`` to the user."""


class QuarterLocked(ReportError):
    pass


class NotEditable(ReportError):
    pass


class VersionConflict(ReportError):
    """Someone saved the report since the user loaded it."""

    def __init__(self, current: QuarterReport):
        super().__init__("version conflict")
        self.current = current


@dataclass
class Draft:
    result: Decimal | None
    narrative: str


def fiscal_quarter(indicator: Indicator, quarter: int) -> FiscalQuarter | None:
    return FiscalQuarter.objects.filter(fiscal_year_id=indicator.fiscal_year_id, quarter=quarter).first()


def is_late(period: FiscalQuarter | None, when) -> bool:
    return period is not None and timezone.localdate(when) > period.due_date


@transaction.atomic
def save_report(
    indicator: Indicator,
    quarter: int,
    user,
    draft: Draft,
    version: int,
    *,
    submit: bool = False,
    files=(),
) -> QuarterReport:
    """Save (and optionally submit) the unit's report for a quarter.

    ``version`` is the report's version the user started from (0 for a report
    that did not exist). Raises QuarterLocked, NotEditable or VersionConflict.
    """
    period = fiscal_quarter(indicator, quarter)
    if period is not None and period.is_locked:
        raise QuarterLocked("locked")
    report = QuarterReport.objects.filter(indicator=indicator, quarter=quarter).first()
    if report is None:
        if version != 0:
            raise VersionConflict(QuarterReport(indicator=indicator, quarter=quarter, version=0))
        report = QuarterReport(indicator=indicator, quarter=quarter, version=1)
    else:
        if not report.is_editable_by_unit:
            raise NotEditable(report.status)
        # Compare and set in one statement, so two saves racing cannot both pass.
        claimed = QuarterReport.objects.filter(pk=report.pk, version=version).update(version=version + 1)
        if not claimed:
            raise VersionConflict(current_report(indicator, quarter))
        report.version = version + 1
    report.result = draft.result
    report.narrative = draft.narrative
    report.updated_by = user
    if submit:
        now = timezone.now()
        report.status = QuarterReport.Status.SUBMITTED
        report.submitted_at = now
        report.submitted_by = user
        report.is_late = is_late(period, now)
    report._history_user = user
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Another save created this quarter's report a moment ago.
        raise VersionConflict(current_report(indicator, quarter)) from None
    for upload in files:
        attach_evidence(report, upload, user)
    return report


def current_report(indicator: Indicator, quarter: int) -> QuarterReport:
    """The stored report, or an unsaved version-0 one when it was deleted meanwhile."""
    current = QuarterReport.objects.filter(indicator=indicator, quarter=quarter).first()
    return current or QuarterReport(indicator=indicator, quarter=quarter, version=0)


def attach_evidence(report: QuarterReport, upload, user) -> EvidenceFile:
    evidence = EvidenceFile(
        report=report,
        original_name=upload.name[:255],
        content_type=upload.detected_type,
        size=upload.size,
        uploaded_by=user,
    )
    evidence.file.save(upload.name, upload, save=False)
    evidence._history_user = user
    evidence.save()
    return evidence


@transaction.atomic
def remove_evidence(evidence: EvidenceFile, user) -> None:
    report = evidence.report
    period = fiscal_quarter(report.indicator, report.quarter)
    if period is not None and period.is_locked:
        raise QuarterLocked("locked")
    if not report.is_editable_by_unit:
        raise NotEditable(report.status)
    evidence._history_user = user
    stored = evidence.file
    evidence.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


@transaction.atomic
def review_report(
    report: QuarterReport,
    user,
    *,
    accept: bool,
    comment: str,
    score: Decimal | None,
    criterion_1: Decimal | None,
    criterion_2: Decimal | None,
    is_verification: bool,
    version: int,
) -> AuditScore:
    """Record the auditors' scores, then accept the report or return it for revision."""
    claimed = QuarterReport.objects.filter(
        pk=report.pk, version=version, status=QuarterReport.Status.SUBMITTED
    ).update(version=version + 1)
    if not claimed:
        current = QuarterReport.objects.filter(pk=report.pk).first()
        if current is None or current.status != QuarterReport.Status.SUBMITTED:
            raise NotEditable(current.status if current else "deleted")
        raise VersionConflict(current)
    if is_verification:
        for other in AuditScore.objects.filter(indicator=report.indicator_id, is_verification=True).exclude(
            quarter=report.quarter
        ):
            other.is_verification = False
            other._history_user = user
            other.save()
    audit = AuditScore.objects.filter(indicator_id=report.indicator_id, quarter=report.quarter).first()
    if audit is None:
        audit = AuditScore(indicator_id=report.indicator_id, quarter=report.quarter)
    audit.score = score
    audit.criterion_1 = criterion_1
    audit.criterion_2 = criterion_2
    audit.is_verification = is_verification
    audit.comment = comment
    audit.auditor = user
    audit.scored_at = timezone.now()
    audit._history_user = user
    audit.save()
    report.version = version + 1
    report.status = QuarterReport.Status.ACCEPTED if accept else QuarterReport.Status.RETURNED
    report.return_comment = "" if accept else comment
    report.reviewed_at = timezone.now()
    report.reviewed_by = user
    report._history_user = user
    report.save()
    return audit


def shortened(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut before a letter whose marks would
    be cut off (Thai vowels and tone marks follow their consonant), with "…" when cut."""
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and unicodedata.category(text[end]) == "Mn":
        end -= 1
    return text[:end].rstrip() + "…"


@transaction.atomic
def reopen_report(report: QuarterReport, user, reason: str, request=None) -> None:
    """An administrator hands an accepted report back to its unit, saying why (also
    written to the audit log)."""
    claimed = QuarterReport.objects.filter(pk=report.pk, status=QuarterReport.Status.ACCEPTED).update(
        version=report.version + 1
    )
    if not claimed:
        raise NotEditable(report.status)
    report.refresh_from_db()
    report.status = QuarterReport.Status.RETURNED
    report.return_comment = reason
    report._history_user = user
    # The whole reason is the report's return comment (and in its history); the
    # history's change-reason column holds 100 characters.
    report._change_reason = shortened(reason, 100)
    report.save()
    audit.record(
        audit.AuditEvent.Kind.REPORT_REOPENED,
        request=request,
        user=user,
        indicator=report.indicator.full_code,
        fiscal_year=report.indicator.fiscal_year.year,
        quarter=report.quarter,
        reason=shortened(reason, 500),
    )


@transaction.atomic
def set_quarter_lock(period: FiscalQuarter, user, locked: bool, request=None) -> bool:
    """Lock or unlock a quarter, ``user`` recorded in its history (an unlock clears
    ``locked_by``: the history keeps who locked it) and in the audit log. Locking a
    locked quarter keeps who locked it first and when; returns whether anything changed."""
    period.refresh_from_db(from_queryset=FiscalQuarter.objects.select_for_update())
    if period.is_locked == locked:
        return False
    period.locked_at = timezone.now() if locked else None
    period.locked_by = user if locked else None
    period._history_user = user
    period.save(update_fields=["locked_at", "locked_by"])
    audit.record(
        audit.AuditEvent.Kind.QUARTER_LOCKED if locked else audit.AuditEvent.Kind.QUARTER_UNLOCKED,
        request=request,
        user=user,
        fiscal_year=period.fiscal_year.year,
        quarter=period.quarter,
    )
    return True
