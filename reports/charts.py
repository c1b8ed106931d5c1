"""Geometry of the charts the pages draw as inline SVG (no JavaScript; they print):
the sheet's targets and results per quarter, the dashboard's stacked bars."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal


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


def ceiling(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


# An axis has this many intervals (gridlines above zero), preferably 5.
INTERVALS = range(3, 7)
PREFERRED_INTERVALS = 5


def nice_scale(value: Decimal, whole_numbers: bool = False) -> tuple[Decimal, Decimal]:
    """(axis maximum, tick step) for values up to ``value``: the lowest maximum that is a
    whole number (3 to 6) of steps of 1, 2, 2.5 or 5 × 10^n (2.8 M: 3 M by 500,000, not
    5 M); with ``whole_numbers`` the steps are whole too (counts: no tick at 37.5)."""
    value = max(value, Decimal(0))
    if value == 0:
        return (Decimal(4), Decimal(1)) if whole_numbers else (Decimal(1), Decimal("0.25"))
    candidates = []
    for exponent in range(value.adjusted() - 2, value.adjusted() + 1):
        for mantissa in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            step = mantissa.scaleb(exponent)
            if whole_numbers and step != step.to_integral_value():
                continue
            intervals = ceiling(value / step)
            if intervals in INTERVALS:
                candidates.append((step * intervals, abs(intervals - PREFERRED_INTERVALS), step))
    if not candidates:  # a count below 3: one step per unit
        return Decimal(max(1, ceiling(value))), Decimal(1)
    axis_max, _distance, step = min(candidates)
    return axis_max.normalize() + 0, step.normalize() + 0


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
    whole_numbers = all(value == value.to_integral_value() for value in values)
    axis_max, step = nice_scale(max(values, default=Decimal(0)), whole_numbers)
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
    ticks = [(round(y_of(step * i), 1), step * i) for i in range(int(axis_max / step) + 1)]
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
