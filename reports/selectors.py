"""Reads for the reporting workflow and the home pages, each in a fixed number of queries."""

from django.db.models import Count, FilteredRelation, Prefetch, Q, QuerySet

from indicators.access import get_indicator_for_user, principal, visible_indicators
from indicators.models import QUARTERS, FiscalQuarter, Indicator, QuarterTarget
from kpi_portal.written_sql import prefetch
from reports import autosave_sql
from reports.models import AuditScore, EvidenceFile, QuarterReport


def entry_indicator(user, pk):
    """The indicator for the entry page, with what it shows: its year and unit, and set
    on it as prefetch_related would (kpi_portal.written_sql.prefetch: each a SELECT
    written once, where the ORM compiled five prefetches on every page) its targets, its
    reports (with who updated, submitted and reviewed them) and their files in the order
    uploaded (with who uploaded them), its scores (with their auditors) and its year's
    quarters, each by quarter. 404 for an indicator ``user`` may not see."""
    indicator = get_indicator_for_user(user, pk, Indicator.objects.select_related("fiscal_year", "org_unit"))
    prefetch(QuarterTarget, "indicator", [indicator], order=("quarter",))
    prefetch(
        QuarterReport,
        "indicator",
        [indicator],
        joined=("updated_by", "submitted_by", "reviewed_by"),
        order=("quarter",),
    )
    # A report's files in the order uploaded: the model's ordering ("report" first) would
    # join every file's report, indicator, year and unit to sort.
    prefetch(
        EvidenceFile,
        "report",
        list(indicator.reports.all()),
        joined=("uploaded_by",),
        order=("uploaded_at", "pk"),
    )
    prefetch(AuditScore, "indicator", [indicator], joined=("auditor",), order=("quarter",))
    prefetch(FiscalQuarter, "fiscal_year", [indicator.fiscal_year], order=("quarter",))
    return indicator


def autosave_report(user, pk: int, quarter: int) -> QuarterReport:
    """The report of indicator ``pk``'s ``quarter`` with its indicator, for the autosave:
    one query once the report exists, else the indicator and a new, unsaved report
    (version 0). 404 for an indicator ``user`` may not see."""
    who = principal(user)
    # As visible_to: any unit's for those who read everything, else their units' (none:
    # no query, as the ORM's none()). One report per indicator and quarter (a unique
    # constraint). The SELECT is written once (reports.autosave_sql.report_sql).
    if who.reads_everything or who.unit_ids:
        unit_ids = None if who.reads_everything else who.unit_ids
        report = autosave_sql.read_report(QuarterReport, Indicator, pk, quarter, unit_ids)
        if report is not None:
            return report
    return QuarterReport(indicator=get_indicator_for_user(user, pk), quarter=quarter, version=0)


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
                # Sorted by quarter in Python (by_quarter): not by the model's ordering,
                # which joins every report's year and unit.
                queryset=QuarterReport.objects.only(
                    "id", "indicator_id", "quarter", "status", "is_late", "updated_at", "return_comment"
                ).order_by(),
            )
        )
        .order_by("org_unit__code", "sequence", "code")
    )
    rows = []
    for indicator in indicators:
        reports = by_quarter(indicator.reports.all())
        rows.append((indicator, [reports.get(quarter) for quarter in QUARTERS]))
    return rows


def waiting_reports(filters: dict[str, str]) -> QuerySet:
    """Submitted reports, oldest first, of the fiscal ``year``, unit code ``unit`` and
    ``quarter`` given (as typed in the review queue's filters; blank: all). Only the
    columns the queue shows (reports.views.review.queue_rows): not the narratives, the
    submitters or the indicators' other texts of a page of 50."""
    reports = (
        QuarterReport.objects.filter(status=QuarterReport.Status.SUBMITTED)
        .select_related("indicator__org_unit", "indicator__fiscal_year")
        .only(
            "indicator",
            "quarter",
            "submitted_at",
            "is_late",
            "result",
            "indicator__code",
            "indicator__name",
            "indicator__unit_of_measure",
            "indicator__org_unit__code",
            "indicator__org_unit__name",
            "indicator__fiscal_year__year",
        )
    )
    if filters["year"].isdigit():
        reports = reports.filter(indicator__fiscal_year__year=int(filters["year"]))
    if filters["unit"]:
        reports = reports.filter(indicator__org_unit__code=filters["unit"])
    if filters["quarter"].isdigit():
        reports = reports.filter(quarter=int(filters["quarter"]))
    return reports.order_by("submitted_at", "pk")


REPORTING_COUNTS = ("total", *QuarterReport.Status.values, "not_started", "reported")


def reporting_by_unit(fiscal_year, quarter: int) -> tuple[list[dict], dict]:
    """For each unit with indicators in ``fiscal_year`` (its ``code`` and ``name``): how
    many it has, how many of their reports for ``quarter`` are in each status, not started,
    reported; and the sums. One query: each indicator joined with its report for the
    quarter (at most one), counted per status and grouped by unit."""
    statuses = QuarterReport.Status.values
    counts = {status: Count("pk", filter=Q(quarter_report__status=status)) for status in statuses}
    rows = []
    for row in (
        Indicator.objects.filter(fiscal_year=fiscal_year)
        .annotate(quarter_report=FilteredRelation("reports", condition=Q(reports__quarter=quarter)))
        .values("org_unit__code", "org_unit__name")
        .annotate(total=Count("pk"), **counts)
        .order_by("org_unit__code")
    ):
        row = {"code": row.pop("org_unit__code"), "name": row.pop("org_unit__name"), **row}
        row["not_started"] = row["total"] - sum(row[status] for status in statuses)
        row["reported"] = sum(row[status] for status in QuarterReport.REPORTED)
        rows.append(row)
    return rows, {key: sum(row[key] for row in rows) for key in REPORTING_COUNTS}
