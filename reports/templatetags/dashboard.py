"""The dashboard's repeated markup, written in Python: each unit's and area's figures and
bar, each unit's compliance cells. Some 70 rows of 7 figures, a bar and 8 compliance cells
a page: as template loops they cost most of a page computed afresh, as f-strings a tenth.
Everything shown is escaped here as the template would; numbers are written as the
template writes them (no thousands separator)."""

import html

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from reports.charts import Bar
from reports.dashboard import ON_TIME_TITLE, REPORTED_TITLE, ComplianceRow, Row
from reports.progress import QuarterProgress

register = template.Library()


def escape(text) -> str:
    """As django.utils.html.escape (the template's escaping), without its lazy-string
    wrapper, some 1,500 times a page."""
    return html.escape(str(text))


def bar_svg(bar: Bar, title: str) -> str:
    """A row's stacked bar (as the whole city's, templates/reports/_dashboard_bar.svg)."""
    segments = []
    for segment in bar.segments:
        part = str(segment.part)
        drawn = (
            f'<rect class="dash-part-{part}" x="{segment.x}" y="0" width="{segment.width}" '
            f'height="{bar.height}"><title>{escape(segment.label)}: {segment.count}</title></rect>'
        )
        if segment.show_label:
            drawn += (
                f'<text class="dash-part-label dash-part-label-{part}" x="{segment.label_x}" '
                f'y="{bar.label_y}" text-anchor="middle" font-size="15">{segment.count}</text>'
            )
        if segment.href:
            drawn = f'<a href="{escape(segment.href)}" tabindex="-1">{drawn}</a>'
        segments.append(drawn + "\n  ")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dash-bar" viewBox="0 0 {bar.width} {bar.height}" '
        f'width="{bar.width}" height="{bar.height}" aria-hidden="true" focusable="false">\n'
        # The figures drawn here are in the cells beside the bar, as text and links: screen
        # readers and the keyboard use those; the bar's links are for the mouse.
        f"  \n  <title>{escape(title)}</title>\n"
        f'  <rect class="dash-part-none" x="0" y="0" width="{bar.width}" height="{bar.height}"/>\n'
        f"  {''.join(segments)}\n</svg>"
    )


@register.filter
def figure_cells(row: Row) -> SafeString:
    """A table row's cells after its heading: all its indicators and each figure (linked to
    the list of those indicators when there are any), then its bar."""
    cells = []
    for cell in row.cells:
        if cell.part == QuarterProgress.NO_TARGET and not row.shows_no_target:
            cells.append("\n      ")  # as the template wrote it: the line break stayed
            continue
        if cell.count and cell.href:
            shown = f'<a href="{escape(cell.href)}">{cell.count}</a>'
        elif cell.count:
            shown = str(cell.count)
        else:
            shown = '<span class="text-body-secondary">0</span>'
        cells.append(f'<td class="text-end">{shown}</td>\n      ')
    return mark_safe(f'{"".join(cells)}<td class="dash-bar-cell">{bar_svg(row.bar, row.name)}</td>')


@register.filter
def compliance_cells(row: ComplianceRow) -> SafeString:
    """A compliance row's two cells per quarter: the share reported, and on time (their
    titles as ComplianceCell's, the messages translated once a row)."""
    reported_title, on_time_title = gettext(REPORTED_TITLE), gettext(ON_TIME_TITLE)
    cells = []
    for cell in row.cells:
        href = escape(cell.href)
        reported = reported_title % {"reported": cell.reported, "total": cell.total}
        on_time = on_time_title % {"on_time": cell.on_time, "total": cell.total}
        cells.append(
            f'<td class="text-center dash-heat {cell.reported_heat}"><a href="{href}" '
            f'title="{escape(reported)}">{cell.reported_percent}%</a></td>'
            f'<td class="text-center dash-heat {cell.on_time_heat}"><a href="{href}" '
            f'title="{escape(on_time)}">{cell.on_time_percent}%</a></td>'
        )
    return mark_safe("".join(cells))
