"""The indicator list's rows, written in Python: 50 rows of some 20 values each, a third of
the page's time through template lookups. The same HTML as a template would write:
everything shown escaped, numbers by the ``num`` filter."""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from indicators.templatetags.thai import num
from reports.progress import QuarterProgress

register = template.Library()


@register.simple_tag
def list_row(indicator, quarter) -> SafeString:
    """One indicator's row; with ``quarter``, its target, result and progress in it
    (reports.filters.list_rows annotates them)."""
    escape = conditional_escape
    url = escape(indicator.get_absolute_url())
    year = indicator.fiscal_year.year
    unit = indicator.org_unit
    unit_url = escape(reverse("unit_page", args=[unit.code]))
    cells = [
        f"<td>{year}</td>",
        f'<td class="text-nowrap"><a href="{url}">{escape(unit.code)}-{escape(indicator.code)}</a></td>',
        f"<td>{indicator.sequence}</td>",
        f'<td><a href="{url}">{escape(indicator.name)}</a></td>',
        f'<td><a href="{unit_url}?year={year}">{escape(unit.name)}</a></td>',
        f'<td class="text-end text-nowrap">{escape(num(indicator.annual_target))} '
        f"{escape(indicator.get_unit_of_measure_display())}</td>",
    ]
    shown = "\n      ".join(cells)
    if quarter:
        target = ""
        if indicator.quarter_target is not None:
            sign = "≤" if indicator.direction == "lower" else "≥"
            target = f'<span title="{escape(indicator.get_direction_display())}">{sign}</span> '
        result = escape(num(indicator.quarter_result)) if indicator.quarter_reported else "–"
        badge = progress_badge(indicator.quarter_progress, indicator.quarter_late)
        target += escape(num(indicator.quarter_target))
        shown += (
            f'\n      \n      <td class="text-end text-nowrap">{target}</td>'
            f'\n      <td class="text-end text-nowrap">{result}</td>'
            f'\n      <td class="text-nowrap">{badge}</td>\n      '
        )
    else:
        shown += "\n      "
    return mark_safe(f"\n    <tr>\n      {shown}\n    </tr>\n  ")


def progress_badge(progress: str, late: bool) -> SafeString:
    """An indicator's progress in a quarter, and whether it is late, as badges (the
    dashboard's words)."""
    if progress not in (QuarterProgress.ON_TRACK, QuarterProgress.BEHIND, QuarterProgress.NO_TARGET):
        label = QuarterProgress.NOT_REPORTED.label
    else:
        label = QuarterProgress(progress).label
    badge = f'<span class="badge progress-{escape(progress)}">{escape(label)}</span>'
    if late:
        badge += f' <span class="badge progress-late">{escape(QuarterProgress.LATE.label)}</span>'
    return mark_safe(badge + "\n")
