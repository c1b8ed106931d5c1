"""The indicator detail sheet (รายละเอียดตัวชี้วัด): everything the screen page
and the PDF show, fetched in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from indicators.access import visible_indicators
from indicators.models import QUARTERS, Indicator, StrategyNode, SupportingProject
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
class ChartBar:
    quarter: int
    x: float
    result_x: float
    label_x: float
    target_y: float | None
    target_height: float
    result_y: float | None
    result_height: float
    target: Decimal | None
    result: Decimal | None


@dataclass
class Chart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    plot_left: int
    plot_right: int
    bar_width: int
    bars: list[ChartBar]
    ticks: list[tuple[float, Decimal]]
    annual_target_y: float | None
    annual_target: Decimal | None


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
        return build_chart(self.rows, self.indicator.annual_target)


def sheet_queryset() -> QuerySet:
    return Indicator.objects.select_related(
        "fiscal_year",
        "org_unit",
        "strategy_node__parent__parent__parent",
    ).prefetch_related(
        "targets",
        Prefetch("reports", queryset=QuarterReport.objects.order_by("quarter")),
        Prefetch("scores", queryset=AuditScore.objects.order_by("quarter")),
        "projects",
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
    """The sheet of indicator ``pk`` if ``user`` may read it, else 404."""
    queryset = visible_indicators(user, sheet_queryset()).select_related("annual_summary")
    return build_sheet(get_object_or_404(queryset, pk=pk))


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10^n that is >= value (an axis maximum)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = step.scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def build_chart(rows: list[QuarterRow], annual_target: Decimal | None) -> Chart:
    """Geometry of a grouped bar chart (target vs result per quarter) as plain numbers,
    drawn as inline SVG by the template so it needs no JavaScript and prints."""
    width, height = 560, 220
    top, bottom, left, right = 16, 186, 56, 12
    values = [v for row in rows for v in (row.target, row.result) if v is not None]
    if annual_target is not None:
        values.append(annual_target)
    axis_max = nice_ceiling(max(values, default=Decimal(0)))
    plot_height = bottom - top
    slot = (width - left - right) / len(rows)
    bar_width = int(slot * 0.3)

    def y_of(value):
        return bottom - float(value / axis_max) * plot_height

    bars = []
    for index, row in enumerate(rows):
        x = left + index * slot + slot / 2 - bar_width
        target_y = y_of(row.target) if row.target is not None else None
        result_y = y_of(row.result) if row.result is not None else None
        bars.append(
            ChartBar(
                quarter=row.quarter,
                x=round(x, 1),
                result_x=round(x + bar_width, 1),
                label_x=round(x + bar_width, 1),
                target_y=None if target_y is None else round(target_y, 1),
                target_height=0 if target_y is None else round(bottom - target_y, 1),
                result_y=None if result_y is None else round(result_y, 1),
                result_height=0 if result_y is None else round(bottom - result_y, 1),
                target=row.target,
                result=row.result,
            )
        )
    ticks = [(round(y_of(axis_max * i / 4), 1), axis_max * i / 4) for i in range(5)]
    return Chart(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        plot_left=left,
        plot_right=width - right,
        bar_width=bar_width,
        bars=bars,
        ticks=ticks,
        annual_target_y=None if annual_target is None else round(y_of(annual_target), 1),
        annual_target=annual_target,
    )
