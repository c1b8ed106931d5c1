"""Writes that span several models, each in one transaction. A single change of a
report is a method of the model (reports.models.QuarterReport)."""

from decimal import Decimal

from django.db import transaction

from indicators.models import Indicator
from reports.models import QuarterReport


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
