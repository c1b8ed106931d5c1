"""Reads for the reporting workflow, each in a fixed number of queries."""

from django.db.models import Prefetch

from indicators.access import get_indicator_for_user, visible_indicators
from indicators.models import QUARTERS, FiscalQuarter, Indicator, QuarterTarget
from reports.models import AuditScore, EvidenceFile, QuarterReport


def entry_indicator(user, pk):
    """The indicator for the entry and review pages, with what they show."""
    queryset = Indicator.objects.select_related("fiscal_year", "org_unit").prefetch_related(
        Prefetch("targets", queryset=QuarterTarget.objects.order_by("quarter")),
        Prefetch(
            "reports",
            queryset=QuarterReport.objects.select_related("updated_by", "submitted_by", "reviewed_by")
            .prefetch_related(
                Prefetch("evidence", queryset=EvidenceFile.objects.select_related("uploaded_by"))
            )
            .order_by("quarter"),
        ),
        Prefetch("scores", queryset=AuditScore.objects.select_related("auditor").order_by("quarter")),
        Prefetch("fiscal_year__quarters", queryset=FiscalQuarter.objects.order_by("quarter")),
    )
    return get_indicator_for_user(user, pk, queryset)


def by_quarter(items):
    return {item.quarter: item for item in items}


def quarter_statuses(user, fiscal_year, units=None):
    """For the staff home page: each visible indicator of ``fiscal_year`` with its
    four quarters' reports (or None), in three queries."""
    indicators = visible_indicators(user).filter(fiscal_year=fiscal_year)
    if units is not None:
        indicators = indicators.filter(org_unit__in=units)
    indicators = (
        indicators.select_related("org_unit")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=QuarterReport.objects.only(
                    "id", "indicator_id", "quarter", "status", "is_late", "updated_at", "return_comment"
                ),
            )
        )
        .order_by("org_unit__code", "sequence", "code")
    )
    rows = []
    for indicator in indicators:
        reports = by_quarter(indicator.reports.all())
        rows.append((indicator, [reports.get(quarter) for quarter in QUARTERS]))
    return rows
