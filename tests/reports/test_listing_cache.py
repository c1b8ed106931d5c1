"""The indicator list's filters and rows are cached (per query string, language, day, what
the user may see and version of the data): a change shows on the next page, each user
sees only their indicators, and what depends on the user stays outside the cache."""

import re

import pytest
from django.urls import reverse

from indicators.models import Indicator, OrgUnit, Role
from reports.models import QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_report, make_target, make_unit, make_user

pytestmark = pytest.mark.django_db
URL = reverse("indicator_list")


@pytest.fixture
def world():
    year = make_fiscal_year(2568)
    north, south = make_unit("1001", "เขตเหนือ"), make_unit("1002", "เขตใต้")
    return {
        "north": make_indicator(year, north, code="0001", name="น้ำท่วมเหนือ", annual_target="100"),
        "south": make_indicator(year, south, code="0002", name="น้ำท่วมใต้", annual_target="100"),
        "north_staff": make_user(role=Role.UNIT_STAFF, units=[north]),
        "south_staff": make_user(role=Role.UNIT_STAFF, units=[south]),
        "executive": make_user(role=Role.EXECUTIVE),
        "auditor": make_user(role=Role.AUDITOR),
    }


def names(client, query="") -> list[str]:
    response = client.get(f"{URL}{query}")
    assert response.status_code == 200
    return re.findall(r'<td><a href="/indicators/\d+/">([^<]+)</a></td>', response.content.decode())


def test_a_renamed_indicator_or_unit_shows_on_the_next_page(client, world):
    client.force_login(world["executive"])
    assert names(client) == ["น้ำท่วมเหนือ", "น้ำท่วมใต้"]
    Indicator.objects.filter(pk=world["north"].pk).update(name="น้ำแล้งเหนือ")
    assert names(client) == ["น้ำแล้งเหนือ", "น้ำท่วมใต้"]
    OrgUnit.objects.filter(code="1002").update(name="เขตใต้สุด")
    assert "เขตใต้สุด" in client.get(URL).content.decode()
    make_indicator(world["north"].fiscal_year, world["north"].org_unit, code="0003", name="ฝุ่นเหนือ")
    assert "ฝุ่นเหนือ" in names(client)


def test_progress_in_a_quarter_follows_the_reports(client, world):
    client.force_login(world["executive"])
    make_target(world["north"], 1, "10")
    query = "?year=2568&quarter=1&progress=on_track"
    assert names(client, query) == []
    report = make_report(world["north"], 1, "12", status="submitted")
    assert names(client, query) == ["น้ำท่วมเหนือ"]
    QuarterReport.objects.filter(pk=report.pk).update(result="3")
    assert names(client, query) == []


def test_each_user_sees_only_their_units_with_a_warm_cache(client, world):
    for user, expected in (
        ("executive", ["น้ำท่วมเหนือ", "น้ำท่วมใต้"]),
        ("north_staff", ["น้ำท่วมเหนือ"]),
        ("south_staff", ["น้ำท่วมใต้"]),
        ("auditor", ["น้ำท่วมเหนือ", "น้ำท่วมใต้"]),
    ):
        client.force_login(world[user])
        assert names(client) == expected, user
        assert names(client, "?q=น้ำ") == expected, user


def test_the_book_order_form_is_for_whoever_may_order_books(client, world):
    client.cookies["django_language"] = "en"
    client.force_login(world["auditor"])  # the same rows as an executive: a warm cache
    auditor_page = client.get(URL).content.decode()
    assert "น้ำท่วมเหนือ" in auditor_page
    assert "Print these sheets as one PDF" not in auditor_page
    client.force_login(world["executive"])
    executive_page = client.get(URL).content.decode()
    assert "Print these sheets as one PDF" in executive_page
    assert 'name="csrfmiddlewaretoken"' in executive_page


def test_each_language_has_its_own_page(client, world):
    client.force_login(world["executive"])
    thai = client.get(URL, {"quarter": "9"}).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(URL, {"quarter": "9"}).content.decode()
    assert "All units" in english
    assert "All units" not in thai


def test_a_cached_page_runs_no_query_of_the_list(client, world, django_assert_num_queries):
    client.force_login(world["executive"])
    client.get(URL, {"year": "2568"})
    # session, user, the user's roles and units (one query), the data's version, unread
    # notifications: no count, no page, no filter choices (11 when not cached)
    with django_assert_num_queries(5):
        assert client.get(URL, {"year": "2568"}).status_code == 200
