"""Writes that span several models, each in one transaction. A single change of a
report is a method of the model (reports.models.QuarterReport)."""

from decimal import Decimal

from django.db import transaction

from indicators.models import Indicator
from reports.models import AuditScore, QuarterReport, Review
from reports.notifications.reviews import notify_reviewed


@transaction.atomic
def save_report(
    indicator: Indicator,
    quarter: int,
    by,
    *,
    result: Decimal | None,
    narrative: str,
    version: int,
    submit: bool = False,
    files=(),
) -> QuarterReport:
    """Save (or submit) the unit's report for ``quarter`` with its new evidence files:
    all or nothing. ``version`` is the report's version the user started from (0 for a
    report that did not exist). Raises QuarterLocked, NotEditable or VersionConflict."""
    report = QuarterReport.for_quarter(indicator, quarter)
    change = report.submit if submit else report.save_draft
    change(by=by, result=result, narrative=narrative, version=version)
    for upload in files:
        report.attach_evidence(upload, by)
    return report


@transaction.atomic
def review_report(report: QuarterReport, by, *, accept: bool, version: int, review: Review) -> AuditScore:
    """Accept the report or return it for revision (``QuarterReport.accept`` /
    ``return_for_revision``), and tell the unit's staff in the same transaction: a
    review tells once, a review refused or rolled back tells nothing."""
    decide = report.accept if accept else report.return_for_revision
    audit = decide(by=by, version=version, review=review)
    notify_reviewed(report, by=by)
    return audit


@transaction.atomic
def reopen_report(report: QuarterReport, by, reason: str, request=None) -> None:
    """An administrator hands an accepted report back (``QuarterReport.reopen``, which also
    writes the audit log); the unit's staff are told why."""
    report.reopen(by=by, reason=reason, request=request)
    notify_reviewed(report, by=by)
