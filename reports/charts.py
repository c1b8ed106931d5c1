"""Geometry of the charts the pages draw as inline SVG (no JavaScript; they print):
the sheet's targets and results per quarter, the dashboard's stacked bars."""

from dataclasses import dataclass
from decimal import Decimal


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
class Segment:
    """One part of a stacked bar, in SVG user units."""

    part: str
    label: str
    count: int
    x: float
    width: float
    label_x: float
    show_label: bool
    href: str


@dataclass
class Bar:
    width: int
    height: int
    label_y: float  # baseline of the counts written on the parts
    segments: list[Segment]


def stacked_bar(parts: list, total: int, width: int, height: int, label_width: float = 0) -> Bar:
    """Geometry of a horizontal bar of ``total`` split into ``parts`` (part, label, count,
    link), left to right, proportional to the counts; a part's count is written on it
    when the part is at least ``label_width`` wide (0: never)."""
    segments = []
    done = 0
    for part, label, count, href in parts:
        if not count:
            continue
        start = done / total * width
        done += count
        end = done / total * width
        segments.append(
            Segment(
                part=part,
                label=label,
                count=count,
                x=round(start, 2),
                width=round(end - start, 2),
                label_x=round((start + end) / 2, 2),
                show_label=bool(label_width) and end - start >= label_width,
                href=href,
            )
        )
    return Bar(width=width, height=height, label_y=round(height / 2 + 5, 2), segments=segments)


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


def build_chart(
    rows: list[tuple[int, Decimal | None, Decimal | None]], annual_target: Decimal | None
) -> Chart:
    """Geometry of a grouped bar chart of (quarter, target, result) rows as plain numbers,
    drawn as inline SVG by the template so it needs no JavaScript and prints."""
    width, height = 560, 220
    top, bottom, left, right = 16, 186, 56, 12
    values = [v for _quarter, target, result in rows for v in (target, result) if v is not None]
    if annual_target is not None:
        values.append(annual_target)
    axis_max = nice_ceiling(max(values, default=Decimal(0)))
    plot_height = bottom - top
    slot = (width - left - right) / len(rows)
    bar_width = int(slot * 0.3)

    def y_of(value):
        return bottom - float(value / axis_max) * plot_height

    bars = []
    for index, (quarter, target, result) in enumerate(rows):
        x = left + index * slot + slot / 2 - bar_width
        target_y = y_of(target) if target is not None else None
        result_y = y_of(result) if result is not None else None
        bars.append(
            ChartBar(
                quarter=quarter,
                x=round(x, 1),
                result_x=round(x + bar_width, 1),
                label_x=round(x + bar_width, 1),
                target_y=None if target_y is None else round(target_y, 1),
                target_height=0 if target_y is None else round(bottom - target_y, 1),
                result_y=None if result_y is None else round(result_y, 1),
                result_height=0 if result_y is None else round(bottom - result_y, 1),
                target=target,
                result=result,
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
