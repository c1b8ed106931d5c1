"""The dashboard: its figures against counts made here with plain loops over the ORM
objects, its links against the indicator list, its query count, who may see it."""

import datetime
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators import thai
from indicators.models import FiscalQuarter, FiscalYear, Indicator, Role
from reports.models import QuarterReport
from tests.factories import (
    make_fiscal_year,
    make_indicator,
    make_report,
    make_strategy_path,
    make_target,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = reverse("dashboard")
YEAR = 2568
STATUSES = [None, "draft", "returned", "submitted", "accepted", "submitted", "accepted"]


def build_world(scale, seed=7):
    """2 × ``scale`` units of 6 indicators of YEAR with every kind of quarter, and an
    indicator of another year that must not count."""
    rng = random.Random(seed)
    today = timezone.localdate()
    year = make_fiscal_year(YEAR)
    # Quarters 1 and 2 are past their deadline, 3 is due today (not passed), 4 later.
    offsets = {1: -40, 2: -1, 3: 0, 4: 60}
    for quarter, days in offsets.items():
        FiscalQuarter.objects.create(
            fiscal_year=year, quarter=quarter, due_date=today + datetime.timedelta(days=days)
        )
    leaves = [
        make_strategy_path((f"{area}", f"{area}.1", f"{area}.1.{goal}", f"{area}.1.{goal}.1"))
        for area in (1, 2, 3)
        for goal in (1, 2)
    ]
    level_2 = leaves[0].parent.parent  # an indicator hung higher up still belongs to its area
    make_strategy_path(("4", "4.1", "4.1.1", "4.1.1.1"))  # an area without indicators
    for _ in range(2 * scale):
        unit = make_unit()
        for _ in range(6):
            lower = rng.random() < 0.4
            annual = Decimal(rng.choice((5, 40, 100)))
            indicator = make_indicator(
                year,
                unit,
                annual_target=annual,
                direction="lower" if lower else "higher",
                is_cumulative=not lower,
                strategy_node=rng.choice([*leaves, level_2, None]),
            )
            for quarter in (1, 2, 3, 4):
                if rng.random() < 0.75:
                    make_target(indicator, quarter, annual * quarter / 4)
                status = rng.choice(STATUSES)
                if status is None:
                    continue
                result = None if rng.random() < 0.1 else annual * quarter / 4 + rng.choice((-2, 0, 3))
                make_report(
                    indicator,
                    quarter,
                    None if result is None else max(result, 0),
                    status=status,
                    is_late=status in ("submitted", "accepted") and rng.random() < 0.3,
                )
    other = make_indicator(make_fiscal_year(YEAR - 1), unit)
    make_report(other, 4, "1", status="submitted")
    return today


def expected_progress(indicator, quarter, today, due_dates):
    """Where ``indicator`` stands in ``quarter``, by the definitions, in plain Python."""
    report = None
    for candidate in indicator.reports.all():
        if candidate.quarter == quarter:
            report = candidate
    target = None
    for planned in indicator.targets.all():
        if planned.quarter == quarter:
            target = planned.target
    if target is None and quarter == 4:
        target = indicator.annual_target
    reported = report is not None and report.status in ("submitted", "accepted")
    if not reported:
        progress = "not_reported"
    elif report.result is None or target is None:
        progress = "no_target"
    elif indicator.direction == "higher":
        progress = "on_track" if report.result >= target else "behind"
    else:
        progress = "on_track" if report.result <= target else "behind"
    if reported:
        late = report.is_late
    else:
        due = due_dates.get(quarter)
        late = due is not None and due < today
    return progress, late


def area_code(indicator):
    node = indicator.strategy_node
    if node is None:
        return "none"
    while node.parent is not None:
        node = node.parent
    return node.code


def expected_figures(quarter, today):
    """{(kind, code): Counter} for kind "unit", "area", "city", from loops over the objects."""
    due_dates = {q.quarter: q.due_date for q in FiscalQuarter.objects.filter(fiscal_year__year=YEAR)}
    counts = {}
    indicators = Indicator.objects.filter(fiscal_year__year=YEAR).prefetch_related(
        "reports", "targets", "org_unit", "strategy_node__parent__parent__parent"
    )
    for indicator in indicators:
        progress, late = expected_progress(indicator, quarter, today, due_dates)
        for key in (("unit", indicator.org_unit.code), ("area", area_code(indicator)), ("city", "")):
            counter = counts.setdefault(key, Counter())
            counter["total"] += 1
            counter[progress] += 1
            counter["late"] += late
            counter["reported"] += progress != "not_reported"
            counter["on_time"] += progress != "not_reported" and not late
    return counts


FIGURES = ("total", "on_track", "behind", "no_target", "not_reported", "late", "reported", "on_time")


def as_dict(figures):
    return {name: getattr(figures, name) for name in FIGURES}


def as_expected(counter):
    return {name: counter[name] for name in FIGURES}


@pytest.fixture
def executive_client(client):
    client.force_login(make_user(role=Role.EXECUTIVE))
    return client


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_figures_equal_counts_made_by_hand(executive_client, quarter):
    today = build_world(3)
    response = executive_client.get(URL, {"year": YEAR, "quarter": quarter})
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    expected = expected_figures(quarter, today)

    assert as_dict(dashboard.totals.figures) == as_expected(expected["city", ""])
    units = {row.code: as_dict(row.figures) for row in dashboard.units}
    assert units == {code: as_expected(c) for (kind, code), c in expected.items() if kind == "unit"}
    areas = {row.code: as_dict(row.figures) for row in dashboard.areas}
    assert areas == {
        code: as_expected(expected.get(("area", code), Counter())) for code in ("1", "2", "3", "4", "none")
    }
    # The data exercises every bucket somewhere (else this test would prove less than it says).
    if quarter in (2, 4):
        city = expected["city", ""]
        assert all(city[name] for name in ("on_track", "behind", "no_target", "not_reported", "late"))


def test_compliance_equals_counts_made_by_hand(executive_client):
    today = build_world(2)
    dashboard = executive_client.get(URL, {"year": YEAR, "quarter": 1}).context["dashboard"]
    by_quarter = {quarter: expected_figures(quarter, today) for quarter in (1, 2, 3, 4)}
    for row in dashboard.compliance:
        for cell in row.cells:
            counter = by_quarter[cell.quarter]["unit", row.code]
            assert (cell.total, cell.reported, cell.on_time) == (
                counter["total"],
                counter["reported"],
                counter["on_time"],
            )
            assert cell.reported_percent == 100 * counter["reported"] // counter["total"]
    for cell in dashboard.compliance_total.cells:
        counter = by_quarter[cell.quarter]["city", ""]
        assert (cell.total, cell.reported, cell.on_time) == (
            counter["total"],
            counter["reported"],
            counter["on_time"],
        )
    # Quarters 1 and 2 are past their deadline: coloured; 3 and 4 are not: neutral.
    assert [cell.is_due for cell in dashboard.compliance_total.cells] == [True, True, False, False]
    assert dashboard.compliance_total.cells[3].reported_heat == "heat-open"


def test_each_figure_links_to_the_list_of_those_indicators(executive_client, settings):
    settings.INDICATORS_PER_PAGE = 1000
    today = build_world(1)
    quarter = 2
    response = executive_client.get(URL, {"year": YEAR, "quarter": quarter})
    dashboard = response.context["dashboard"]
    due_dates = {q.quarter: q.due_date for q in FiscalQuarter.objects.filter(fiscal_year__year=YEAR)}
    indicators = {
        i.pk: i
        for i in Indicator.objects.filter(fiscal_year__year=YEAR).prefetch_related("reports", "targets")
    }
    progress_of = {pk: expected_progress(i, quarter, today, due_dates) for pk, i in indicators.items()}
    checked = 0
    for row in [*dashboard.units, *[a for a in dashboard.areas if a.code != "none"]]:
        for part in ("on_track", "behind", "no_target", "not_reported", "late"):
            href = row.links[part]
            if getattr(row.figures, part):
                assert f'href="{href.replace("&", "&amp;")}"' in response.text
            listed = executive_client.get(href).context["page"].object_list
            wanted = {
                pk
                for pk, (progress, late) in progress_of.items()
                if (late if part == "late" else progress == part)
                and (
                    indicators[pk].org_unit.code == row.code
                    if "unit=" in href
                    else area_code(indicators[pk]) == row.code
                )
            }
            assert {i.pk for i in listed} == wanted, href
            assert len(wanted) == getattr(row.figures, part)
            checked += 1
    assert checked
    behind = dashboard.units[0].links["behind"]
    assert behind == (
        f"/indicators/?year={YEAR}&quarter={quarter}&progress=behind&unit={dashboard.units[0].code}"
    )


def test_the_page_explains_its_figures_and_draws_them(executive_client):
    build_world(1)
    response = executive_client.get(URL, {"year": YEAR, "quarter": 4})
    text = response.text
    assert 'class="dash-legend' in text
    assert text.count("<svg") == 1 + len(response.context["dashboard"].areas) + len(
        response.context["dashboard"].units
    )
    assert "style=" not in text and "<script>" not in text


def test_defaults_to_the_latest_quarter_past_its_deadline(executive_client):
    build_world(1)  # YEAR's quarters 1 and 2 are past their deadline, 3 is due today
    today = timezone.localdate()
    make_fiscal_year(thai.fiscal_year_of(today) + 5)  # a future year is not the default
    make_fiscal_year(thai.fiscal_year_of(today))  # nor this year, none of its quarters due
    dashboard = executive_client.get(URL).context["dashboard"]
    assert dashboard.fiscal_year == FiscalYear.objects.get(year=YEAR)
    assert dashboard.quarter == 2


def test_a_year_without_indicators_shows_zeroes(executive_client):
    make_fiscal_year(YEAR)
    response = executive_client.get(URL, {"year": YEAR, "quarter": 1})
    assert response.status_code == 200
    assert response.context["dashboard"].totals.figures.total == 0


def test_the_navigation_links_the_dashboard_for_readers_only(client):
    make_fiscal_year(YEAR)
    for role, shown in ((Role.EXECUTIVE, True), (Role.AUDITOR, True), (Role.UNIT_STAFF, False)):
        client.force_login(make_user(role=role, units=[make_unit()]))
        response = client.get(reverse("indicator_list"))
        assert (f'href="{URL}"' in response.text) == shown, role


def test_unit_staff_may_not_see_it(client):
    client.force_login(make_user(role=Role.UNIT_STAFF, units=[make_unit()]))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("scale", [1, 10])
def test_query_count_does_not_grow_with_the_data(executive_client, django_assert_num_queries, scale):
    build_world(scale)
    # session, user, roles and units (one query); fiscal years; the figures per unit and strategy area,
    # the four quarters in one; the strategy areas; the year's deadlines; the figures'
    # version (the cache key)
    with django_assert_num_queries(8 + 1):  # + the navigation's unread notifications
        response = executive_client.get(URL, {"year": YEAR, "quarter": 4})
    assert response.status_code == 200
    assert len(response.context["dashboard"].units) == 2 * scale


def test_draft_and_returned_reports_are_not_reported(executive_client):
    year = make_fiscal_year(YEAR)
    unit = make_unit()
    for status in QuarterReport.Status:
        make_report(make_indicator(year, unit), 4, "100", status=status)  # Q4: the annual target, 100
    figures = executive_client.get(URL, {"year": YEAR, "quarter": 4}).context["dashboard"].totals.figures
    assert (figures.total, figures.on_track, figures.not_reported) == (4, 2, 2)


def test_rows_written_in_python_escape_what_they_show(executive_client):
    # Each row's cells and bar are written by reports/templatetags/dashboard.py.
    year = make_fiscal_year(YEAR)
    unit = make_unit("0700", name='ฝ่าย <b>"A&B"</b>')
    make_report(make_indicator(year, unit), 4, "100", status="submitted")
    html = executive_client.get(URL, {"year": YEAR, "quarter": 4}).content.decode()
    escaped = "ฝ่าย &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
    assert f"<title>{escaped}</title>" in html  # the unit's bar
    assert f"0700 {escaped}</th>" in html  # its row, and its compliance row
    assert "<b>" not in html
    assert (
        f'href="{reverse("indicator_list")}?year={YEAR}&amp;quarter=4&amp;progress=on_track&amp;unit=0700"'
        in html
    )
