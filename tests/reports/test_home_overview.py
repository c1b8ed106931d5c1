"""The executives' and administrators' home: reporting progress per unit in one quarter,
counted in one query and cached per year, quarter, language and version of the data (as
the dashboard): a change shows on the next page, and the cached page is only theirs."""

import re

import pytest
from django.urls import reverse

from indicators.models import FiscalQuarter, OrgUnit, Role
from reports.models import QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user

pytestmark = pytest.mark.django_db
YEAR = 2568
URL = f"{reverse('home')}?year={YEAR}&quarter=1"


@pytest.fixture
def world():
    year = make_fiscal_year(YEAR)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2099-01-15")
    first, second = make_unit("0100"), make_unit("0200")
    indicators = [make_indicator(year, first) for _ in range(3)] + [make_indicator(year, second)]
    make_report(indicators[0], 1, "5", status="accepted")
    make_report(indicators[1], 1, "5", status="submitted")
    make_report(indicators[2], 1, "5", status="draft")
    make_report(indicators[3], 2, "5", status="accepted")  # another quarter: not counted
    staff = make_user(role=Role.UNIT_STAFF, units=[first])
    return {"indicators": indicators, "staff": staff, "executive": make_user(role=Role.EXECUTIVE)}


@pytest.fixture
def executive_client(client, world):
    client.force_login(world["executive"])
    return client


def unit_rows(client) -> dict:
    """Each unit's row as the page shows it: {code: [total, accepted, submitted, returned,
    draft, not started]}."""
    response = client.get(URL)
    assert response.status_code == 200
    rows = re.findall(r'unit=(\d+)">.*?</a></td>\s*((?:<td class="text-end">\d+</td>\s*){6})', response.text)
    return {code: [int(n) for n in re.findall(r">(\d+)<", cells)] for code, cells in rows}


def test_each_unit_counts_its_reports_of_the_quarter_by_status(executive_client, world):
    assert unit_rows(executive_client) == {"0100": [3, 1, 1, 0, 1, 0], "0200": [1, 0, 0, 0, 0, 1]}
    assert "2 of 4" in executive_client.get(URL).text or "2 จาก 4" in executive_client.get(URL).text


def test_a_change_shows_on_the_next_page(executive_client, world):
    unit_rows(executive_client)
    QuarterReport.objects.filter(status="submitted").update(status="returned")  # a door without save()
    assert unit_rows(executive_client)["0100"] == [3, 1, 0, 1, 1, 0]
    make_report(world["indicators"][3], 1, "1", status="submitted")
    assert unit_rows(executive_client)["0200"] == [1, 0, 1, 0, 0, 0]
    OrgUnit.objects.filter(code="0200").update(code="0300")
    assert set(unit_rows(executive_client)) == {"0100", "0300"}


def test_a_cached_page_runs_fewer_queries(executive_client, world, django_assert_num_queries):
    # session, user, roles and units in one query (who may read what), fiscal years, figures
    # version, the figures, unread notifications
    with django_assert_num_queries(7):
        executive_client.get(URL)
    with django_assert_num_queries(6):  # the figures come from the cache
        assert unit_rows(executive_client)["0100"] == [3, 1, 1, 0, 1, 0]


def test_staff_have_their_own_home_even_when_the_overview_is_cached(client, executive_client, world):
    overview = executive_client.get(URL).text
    client.force_login(world["staff"])
    staff_home = client.get(URL).text
    assert "unit=0100" in overview
    assert staff_home != overview and "unit=0200" not in staff_home
