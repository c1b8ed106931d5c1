"""The indicator detail sheet (รายละเอียดตัวชี้วัด): everything the screen page
and the PDF show, fetched in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404

from indicators.access import visible_indicators
from indicators.models import QUARTERS, Indicator, QuarterTarget, StrategyNode, SupportingProject
from kpi_portal.written_sql import prefetch
from reports.charts import Chart, build_chart
from reports.models import AnnualSummary, AuditScore, QuarterReport


@dataclass
class QuarterRow:
    quarter: int
    target: Decimal | None = None
    report: QuarterReport | None = None
    score: AuditScore | None = None

    @property
    def result(self):
        return self.report.result if self.report else None

    @property
    def narrative(self):
        return self.report.narrative if self.report else ""


@dataclass
class Sheet:
    indicator: Indicator
    rows: list[QuarterRow]
    verification: AuditScore | None
    summary: AnnualSummary | None
    strategy_path: list[StrategyNode]
    projects: list[SupportingProject]
    data_sets: list = field(default_factory=list)

    @property
    def achieved(self):
        """The latest reported cumulative result (ผลงานที่ทำได้)."""
        for row in reversed(self.rows):
            if row.result is not None:
                return row.result
        return None

    @property
    def chart(self) -> Chart:
        return build_chart(
            [(row.quarter, row.target, row.result) for row in self.rows], self.indicator.annual_target
        )


# What a sheet reads of its indicator's rows, each model by its "indicator" key, in
# this order within an indicator (the models' own ordering starts with "indicator",
# which joins the indicators to sort by theirs). Read by the ORM (sheet_queryset) or by
# SELECTs written once (sheet_for_user): the same list for both.
SHEET_ROWS = (
    (QuarterTarget, ("quarter",)),
    (QuarterReport, ("quarter",)),
    (AuditScore, ("quarter",)),
    (SupportingProject, ("position", "pk")),
)


def sheet_indicators() -> QuerySet:
    """Indicators with what a sheet joins to them (its rows are read apart)."""
    return Indicator.objects.select_related(
        "fiscal_year", "org_unit", "strategy_node__parent__parent__parent"
    )


def sheet_queryset() -> QuerySet:
    return sheet_indicators().prefetch_related(
        *(
            Prefetch(
                model._meta.get_field("indicator").remote_field.get_accessor_name(),
                queryset=model.objects.order_by(*order),
            )
            for model, order in SHEET_ROWS
        ),
        "city_data_sets",
    )


def build_sheet(indicator: Indicator) -> Sheet:
    """Assemble a sheet from an indicator fetched through ``sheet_queryset``."""
    rows = {quarter: QuarterRow(quarter) for quarter in QUARTERS}
    for target in indicator.targets.all():
        rows[target.quarter].target = target.target
    for report in indicator.reports.all():
        rows[report.quarter].report = report
    verification = None
    for score in indicator.scores.all():
        rows[score.quarter].score = score
        if score.is_verification:
            verification = score
    try:
        summary = indicator.annual_summary
    except AnnualSummary.DoesNotExist:
        summary = None
    node = indicator.strategy_node
    return Sheet(
        indicator=indicator,
        rows=list(rows.values()),
        verification=verification,
        summary=summary,
        strategy_path=node.path() if node is not None else [],
        projects=list(indicator.projects.all()),
        data_sets=list(indicator.city_data_sets.all()),
    )


def sheet_for_user(user, pk: int) -> Sheet:
    """The sheet of indicator ``pk`` if ``user`` may read it, else 404. What
    ``sheet_queryset`` prefetches is read by SELECTs written once (the review page and
    every review POST build the sheet; the ORM compiled its four prefetches each time):
    the same objects, the same queries in the same order."""
    queryset = sheet_indicators().select_related("annual_summary")
    indicator = get_object_or_404(visible_indicators(user, queryset), pk=pk)
    for model, order in SHEET_ROWS:
        prefetch(model, "indicator", [indicator], order=order)
    prefetch_related_objects([indicator], "city_data_sets")
    return build_sheet(indicator)
