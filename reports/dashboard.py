"""The dashboard's figures: where a fiscal year's indicators stand in one quarter, for the
whole city, per strategy area and per unit, and each unit's reporting compliance in the
four quarters.

Every figure is a ``COUNT(...) FILTER (...)`` over ``reports.progress.with_quarter_progress``
(the definitions live there, and the indicator list filters by the same annotations), the
four quarters side by side, grouped by unit and strategy area: three queries whatever the
number of units and indicators.

Definitions, for quarter q of an indicator:

- *reported*: its QuarterReport for q is submitted or accepted (a draft or a report returned
  for revision is not reported);
- *target*: its QuarterTarget for q; for q = 4 the annual target when that is missing;
- *on track*: reported, and the result reaches the target (>= when higher is better,
  <= when lower is better); *behind target*: reported and not on track;
- *no target to compare*: reported, but there is no target (or no result) to compare with;
- *not yet reported*: not reported;
- *late*: submitted after the deadline (QuarterReport.is_late), or not reported and the
  quarter's deadline has passed. Late overlaps the four above.

Compliance for quarter q: the share of a unit's indicators reported, and reported on time
(reported and not late). Percentages are rounded down, so 100 % means every one.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.db import connections
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_noop

from indicators.models import QUARTERS, FiscalQuarter, FiscalYear, Indicator, StrategyNode
from reports.charts import Bar, stacked_bar
from reports.progress import QuarterProgress, with_quarter_progress

# The parts of a stacked bar, left to right; "late" overlaps them and is counted apart.
PARTS = (
    QuarterProgress.ON_TRACK,
    QuarterProgress.BEHIND,
    QuarterProgress.NO_TARGET,
    QuarterProgress.NOT_REPORTED,
)
FIGURES = (*PARTS, QuarterProgress.LATE)


@dataclass
class Figures:
    total: int = 0
    on_track: int = 0
    behind: int = 0
    no_target: int = 0
    not_reported: int = 0
    late: int = 0
    reported: int = 0
    on_time: int = 0

    @classmethod
    def from_counts(cls, total, on_track, behind, no_target, late, reported_late) -> "Figures":
        """From what ``figures_by_group`` counts: the rest follows, every indicator being either not
        reported or reported and on track, behind or without a target to compare."""
        reported = on_track + behind + no_target
        return cls(
            total=total,
            on_track=on_track,
            behind=behind,
            no_target=no_target,
            not_reported=total - reported,
            late=late,
            reported=reported,
            on_time=reported - reported_late,
        )

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.total + other.total,
            self.on_track + other.on_track,
            self.behind + other.behind,
            self.no_target + other.no_target,
            self.not_reported + other.not_reported,
            self.late + other.late,
            self.reported + other.reported,
            self.on_time + other.on_time,
        )


def list_url(year: int, quarter: int | None = None, progress: str | None = None, **filters) -> str:
    """The indicator list showing the indicators behind a figure."""
    query = {"year": year}
    if quarter:
        query["quarter"] = quarter
    if progress:
        query["progress"] = progress
    query.update(filters)
    return f"{reverse('indicator_list')}?{urlencode(query)}"


def list_links(year: int, quarter: int, filters: dict, path: str = "", parts=FIGURES) -> dict:
    """``list_url`` of the group ``filters`` selects, "all" and each of ``parts``: the same
    URLs, written out directly (some 600 links a page); ``path`` is the list's, when the
    caller has looked it up already."""
    start = f"{path or reverse('indicator_list')}?year={year}&quarter={quarter}"
    end = "".join(f"&{key}={quote_plus(str(value))}" for key, value in filters.items())
    links = {"all": start + end}
    links.update({part: f"{start}&progress={part.value}{end}" for part in parts})
    return links


@dataclass
class Stat:
    part: str
    label: str
    count: int
    percent: int  # of all the group's indicators, rounded down
    href: str


@dataclass
class Cell:
    part: str  # "all" or one of FIGURES
    count: int
    href: str


@dataclass
class Row:
    """The figures of one group of indicators (the city, a strategy area, a unit)."""

    code: str
    name: str
    figures: Figures
    links: dict  # "all" and each of FIGURES -> indicator list URL
    bar: Bar
    shows_no_target: bool = True  # the table has the "no target to compare" column

    @property
    def cells(self) -> list[Cell]:
        """The table's figures, left to right: all the group's indicators, then each of FIGURES."""
        return [Cell("all", self.figures.total, self.links.get("all", ""))] + [
            Cell(part, getattr(self.figures, part), self.links.get(part, "")) for part in FIGURES
        ]

    @property
    def stats(self) -> list[Stat]:
        """Each of FIGURES but "no target to compare" when nothing is in it."""
        total = self.figures.total
        return [
            Stat(part, part.label, count, 100 * count // total if total else 0, self.links.get(part, ""))
            for part in FIGURES
            if (count := getattr(self.figures, part)) or part != QuarterProgress.NO_TARGET
        ]


def make_row(code, name, figures, year, quarter, filters, bar_size, path: str = "") -> Row:
    links = list_links(year, quarter, filters, path)
    width, height, label_width = bar_size
    parts = [(part, part.label, getattr(figures, part), links[part]) for part in PARTS]
    return Row(code, name, figures, links, stacked_bar(parts, figures.total, width, height, label_width))


# The compliance cells' titles (gettext_noop: translated where they are shown).
REPORTED_TITLE = gettext_noop("%(reported)s of %(total)s reported")
ON_TIME_TITLE = gettext_noop("%(on_time)s of %(total)s on time")


@dataclass
class ComplianceCell:
    quarter: int
    total: int
    reported: int
    on_time: int
    is_due: bool  # the deadline has passed: a low share is a shortfall, not work in progress
    href: str

    @property
    def reported_percent(self) -> int:
        return 100 * self.reported // self.total if self.total else 0

    @property
    def on_time_percent(self) -> int:
        return 100 * self.on_time // self.total if self.total else 0

    # The cells' titles: formatted here, not by {% blocktranslate %} (two per cell, some 570
    # a page). The same messages, so the same translations.
    @property
    def reported_title(self) -> str:
        return gettext(REPORTED_TITLE) % {"reported": self.reported, "total": self.total}

    @property
    def on_time_title(self) -> str:
        return gettext(ON_TIME_TITLE) % {"on_time": self.on_time, "total": self.total}

    @property
    def reported_heat(self) -> str:
        return heat(self.reported_percent, self.is_due)

    @property
    def on_time_heat(self) -> str:
        return heat(self.on_time_percent, self.is_due)


def heat(percent: int, is_due: bool) -> str:
    """One of five CSS buckets (0-19, 20-39, 40-59, 60-79, 80-100 %), or "open" before the deadline."""
    return f"heat-{min(percent // 20, 4)}" if is_due else "heat-open"


@dataclass
class ComplianceRow:
    code: str
    name: str
    cells: list[ComplianceCell]

    @property
    def total(self) -> int:
        return self.cells[0].total


@dataclass
class QuarterColumn:
    quarter: int
    due_date: datetime.date | None
    is_due: bool


@dataclass
class Dashboard:
    fiscal_year: FiscalYear
    quarter: int
    due_date: datetime.date | None
    totals: Row
    areas: list[Row]
    units: list[Row]
    columns: list[QuarterColumn]
    compliance: list[ComplianceRow]
    compliance_total: ComplianceRow

    @property
    def shows_no_target(self) -> bool:
        """The "no target to compare" bucket is shown only when something is in it."""
        return self.totals.figures.no_target > 0


TOTAL_BAR = (900, 34, 34)  # width, height, narrowest part that gets its count written on it
ROW_BAR = (240, 14, 0)
NO_AREA = "none"


def figures_by_group(indicators, today: datetime.date) -> tuple[dict, dict, dict]:
    """Each unit's and each strategy area's figures in each quarter, {quarter: {unit code:
    Figures}} and {quarter: {area's node pk: Figures}}, and the units' names by code.

    One query, grouped by unit and strategy area: the level-1 node above each indicator's
    node (indicators hang on level-4 nodes, but a node of any level is attached to its area
    too; None: on no node). A unit's figures are the sums of its areas', an area's the sums
    of its units'. Inside, the ORM writes each indicator's progress in the four quarters
    side by side (``with_quarter_progress``, prefixed ``q1_`` … ``q4_``); around it, the
    counts (what ``Figures.from_counts`` takes) are written here: as the ORM's aggregates,
    each count would repeat its quarter's whole CASE expression (a 12 KB query, a third of
    the page's time spent building it)."""
    columns = []
    for quarter in QUARTERS:
        indicators = with_quarter_progress(indicators, quarter, today, prefix=f"q{quarter}")
        columns += [f"q{quarter}_progress", f"q{quarter}_late", f"q{quarter}_reported"]
    area_of = Coalesce(
        "strategy_node__parent__parent__parent",
        "strategy_node__parent__parent",
        "strategy_node__parent",
        "strategy_node",
    )
    inner, inner_params = (
        indicators.annotate(area=area_of)
        .values("org_unit__code", "org_unit__name", "area", *columns)
        .order_by()
        .query.sql_with_params()
    )
    connection = connections[indicators.db]
    group_by = ", ".join(map(connection.ops.quote_name, ("org_unit__code", "org_unit__name", "area")))
    counts, params = ["COUNT(*)"], []
    for quarter in QUARTERS:
        progress, late, reported = (
            connection.ops.quote_name(f"q{quarter}_{column}") for column in ("progress", "late", "reported")
        )
        for part in PARTS[:3]:  # on track, behind, no target to compare
            counts.append(f"COUNT(*) FILTER (WHERE {progress} = %s)")
            params.append(part.value)
        counts += [f"COUNT(*) FILTER (WHERE {late})", f"COUNT(*) FILTER (WHERE {reported} AND {late})"]
    query = (
        f"SELECT {group_by}, {', '.join(counts)} FROM ({inner}) AS progress "
        f"GROUP BY {group_by} ORDER BY {connection.ops.quote_name('org_unit__code')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, *inner_params])
        rows = cursor.fetchall()
    names, by_unit, by_area = {}, {}, {}  # the sums of the counts, in their order
    for code, name, area, *figures in rows:
        names[code] = name
        for sums, key in ((by_unit, code), (by_area, area)):
            if key in sums:
                sums[key] = [a + b for a, b in zip(sums[key], figures, strict=True)]
            else:
                sums[key] = figures
    size = 5  # per quarter: on track, behind, no target to compare, late, reported late

    def by_quarter(sums: dict) -> dict:
        return {
            quarter: {
                key: Figures.from_counts(total, *counted[size * (quarter - 1) : size * quarter])
                for key, (total, *counted) in sums.items()
            }
            for quarter in QUARTERS
        }

    by_unit, by_area = by_quarter(by_unit), by_quarter(by_area)
    return by_unit, by_area, names


def area_rows(area_figures: dict, year: int, quarter: int, path: str = "") -> list[Row]:
    """One row per strategy area (ด้าน), then the indicators on no node, if any. One query
    (the areas)."""
    areas = [
        make_row(
            node.code,
            node.title,
            area_figures.get(node.pk, Figures()),
            year,
            quarter,
            {"strategy": node.code},
            ROW_BAR,
            path,
        )
        for node in StrategyNode.objects.filter(level=1).order_by("code")
    ]
    if None in area_figures:
        # Indicators on no strategy node: no list filter selects them, so no links.
        row = make_row(NO_AREA, "", area_figures[None], year, quarter, {}, ROW_BAR)
        row.links = {}
        for segment in row.bar.segments:
            segment.href = ""
        areas.append(row)
    return areas


def compliance_row(
    code, name, figures_by_quarter: dict, filters: dict, year: int, columns, path: str = ""
) -> ComplianceRow:
    """A group's share of reports in, and in on time, in each quarter of ``columns``."""
    links = {
        column.quarter: list_links(year, column.quarter, filters, path, parts=())["all"] for column in columns
    }
    cells = []
    for column in columns:
        figures = figures_by_quarter[column.quarter]
        cells.append(
            ComplianceCell(
                quarter=column.quarter,
                total=figures.total,
                reported=figures.reported,
                on_time=figures.on_time,
                is_due=column.is_due,
                href=links[column.quarter],
            )
        )
    return ComplianceRow(code, name, cells)


def build_dashboard(fiscal_year: FiscalYear, quarter: int, today: datetime.date) -> Dashboard:
    """All the dashboard shows, in three queries: the figures per unit and strategy area in
    the four quarters, the strategy areas, the year's deadlines."""
    year = fiscal_year.year
    path = reverse("indicator_list")  # looked up once for the page's some 600 links
    indicators = Indicator.objects.filter(fiscal_year=fiscal_year)
    by_quarter, by_area, names = figures_by_group(indicators, today)
    units = [
        make_row(code, name, by_quarter[quarter][code], year, quarter, {"unit": code}, ROW_BAR, path)
        for code, name in sorted(names.items())
    ]
    totals = sum((row.figures for row in units), Figures())
    areas = area_rows(by_area[quarter], year, quarter, path)
    for row in (*units, *areas):
        row.shows_no_target = totals.no_target > 0
    # The effective deadlines: moved off non-working days when the year says so.
    due_dates = dict(
        FiscalQuarter.objects.filter(fiscal_year=fiscal_year).values_list("quarter", "effective_due_date")
    )
    columns = [
        QuarterColumn(q, due_dates.get(q), due_dates.get(q) is not None and due_dates[q] < today)
        for q in QUARTERS
    ]
    compliance = [
        compliance_row(
            code, name, {q: by_quarter[q][code] for q in QUARTERS}, {"unit": code}, year, columns, path
        )
        for code, name in sorted(names.items())
    ]
    city = {q: sum(by_quarter[q].values(), Figures()) for q in QUARTERS}
    return Dashboard(
        fiscal_year=fiscal_year,
        quarter=quarter,
        due_date=due_dates.get(quarter),
        totals=make_row("", "", totals, year, quarter, {}, TOTAL_BAR, path),
        areas=areas,
        units=units,
        columns=columns,
        compliance=compliance,
        compliance_total=compliance_row("", "", city, {}, year, columns, path),
    )
