import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import FiscalQuarter, Indicator
from tests.factories import (
    make_fiscal_year,
    make_indicator,
    make_report,
    make_strategy_path,
    make_target,
    make_unit,
)

pytestmark = pytest.mark.django_db
URL = reverse("indicator_list")


def codes(response):
    return [indicator.full_code for indicator in response.context["page"].object_list]


@pytest.fixture
def registry():
    year_2567, year_2568 = make_fiscal_year(2567), make_fiscal_year(2568)
    district, department = make_unit("5016", "สำนักงานเขตธนบุรี"), make_unit("0200", "สำนักอนามัย")
    branch_7 = make_strategy_path(("7", "7.3", "7.3.1", "7.3.1.1"))
    branch_1 = make_strategy_path(("1", "1.1", "1.1.1", "1.1.1.1"))
    return {
        "best_service": make_indicator(
            year_2568,
            district,
            code="0685",
            name="ร้อยละความสำเร็จของการดำเนินโครงการให้บริการที่ดีที่สุด (Best Service)",
            strategy_node=branch_7,
        ),
        "complaints": make_indicator(
            year_2568,
            department,
            code="0100",
            name="จำนวนเรื่องร้องเรียนด้านสาธารณสุขลดลง",
            indicator_type=Indicator.Type.STRATEGIC,
            strategy_node=branch_1,
        ),
        "old": make_indicator(year_2567, district, code="0685", name="ตัวชี้วัดปีก่อน", strategy_node=branch_7),
    }


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_lists_everything_linking_to_each_sheet(executive_client, registry):
    response = executive_client.get(URL)
    assert response.status_code == 200
    assert sorted(codes(response)) == ["0200-0100", "5016-0685", "5016-0685"]
    for indicator in registry.values():
        assert f'href="{reverse("indicator_detail", args=[indicator.pk])}"' in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"year": "2567"}, ["old"]),
        ({"unit": "0200"}, ["complaints"]),
        ({"strategy": "7"}, ["best_service", "old"]),
        ({"strategy": "7.3.1"}, ["best_service", "old"]),
        ({"strategy": "1.1.1.1"}, ["complaints"]),
        ({"type": "strategic"}, ["complaints"]),
        ({"q": "Best Service"}, ["best_service"]),
        ({"q": "ร้องเรียน"}, ["complaints"]),
        ({"q": "0685"}, ["best_service", "old"]),
        ({"q": "5016-0685", "year": "2568"}, ["best_service"]),
        ({"q": "ไม่มีคำนี้"}, []),
    ],
)
def test_filters_and_search(executive_client, registry, query, expected):
    response = executive_client.get(URL, query)
    assert response.status_code == 200
    assert sorted(i.pk for i in response.context["page"].object_list) == sorted(
        registry[name].pk for name in expected
    )


def test_an_unknown_filter_value_says_so_and_lists_nothing(executive_client, registry):
    response = executive_client.get(URL, {"unit": "9999"})
    assert response.status_code == 200
    assert codes(response) == []
    assert response.context["form"].errors["unit"]


def test_pagination_keeps_the_filters(executive_client, settings):
    settings.INDICATORS_PER_PAGE = 5
    year, unit = make_fiscal_year(2568), make_unit("5016")
    for _ in range(12):
        make_indicator(year, unit)
    make_indicator(make_fiscal_year(2567), unit)
    first = executive_client.get(URL, {"year": "2568"})
    assert len(codes(first)) == 5
    assert "year=2568&amp;page=2" in first.text
    last = executive_client.get(URL, {"year": "2568", "page": "3"})
    assert len(codes(last)) == 2
    beyond = executive_client.get(URL, {"year": "2568", "page": "99"})
    assert beyond.context["page"].number == 3


def make_many(count):
    year = make_fiscal_year(2568)
    units = [make_unit() for _ in range(max(1, count // 10))]
    node = make_strategy_path()
    for index in range(count):
        make_indicator(year, units[index % len(units)], strategy_node=node)


@pytest.mark.parametrize("count", [6, 60])
def test_query_count_does_not_grow_with_the_data(executive_client, django_assert_num_queries, count):
    make_many(count)
    # session, user, the user's roles and units (one query), the year filter's lookup, count,
    # page, the filter choices (years, units, strategy nodes), the version of the data
    # (the cache key: tests/reports/test_listing_cache.py)
    with django_assert_num_queries(10 + 1):  # + the navigation's unread notifications
        response = executive_client.get(URL, {"year": "2568"})
    assert response.status_code == 200


@pytest.fixture
def quarter_two():
    """Quarter 2 of 2568, whose deadline passed yesterday: one indicator of each kind."""
    year = make_fiscal_year(2568)
    today = timezone.localdate()
    FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date=today - datetime.timedelta(days=1))
    FiscalQuarter.objects.create(fiscal_year=year, quarter=4, due_date=today + datetime.timedelta(days=1))
    unit = make_unit("5016")
    lower = {"direction": Indicator.Direction.LOWER_IS_BETTER, "is_cumulative": False}

    def indicator(name, target=None, result=None, status=None, is_late=False, **fields):
        made = make_indicator(year, unit, name=name, **fields)
        if target is not None:
            make_target(made, 2, target)
        if status is not None:
            make_report(made, 2, result, status=status, is_late=is_late)
        return made

    return {
        "reached": indicator("reached", 50, "60", "submitted"),
        "exactly": indicator("exactly", 50, "50", "accepted"),
        "short": indicator("short", 50, "49.99", "accepted"),
        "fewer_complaints": indicator("fewer_complaints", 5, "5", "submitted", **lower),
        "more_complaints": indicator("more_complaints", 5, "7", "accepted", is_late=True, **lower),
        "no_target": indicator("no_target", None, "10", "submitted"),
        "draft": indicator("draft", 50, "70", "draft"),
        "returned": indicator("returned", 50, "70", "returned"),
        "nothing": indicator("nothing", 50),
    }


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        ("on_track", ["reached", "exactly", "fewer_complaints"]),
        ("behind", ["short", "more_complaints"]),
        ("no_target", ["no_target"]),
        ("not_reported", ["draft", "returned", "nothing"]),
        # Reported late, or not reported and the deadline (yesterday) has passed.
        ("late", ["more_complaints", "draft", "returned", "nothing"]),
    ],
)
def test_filter_by_progress_in_a_quarter(executive_client, quarter_two, progress, expected):
    response = executive_client.get(URL, {"year": "2568", "quarter": "2", "progress": progress})
    assert response.status_code == 200
    assert sorted(i.name for i in response.context["page"].object_list) == sorted(expected)


def test_a_quarter_alone_lists_all_with_their_progress(executive_client, quarter_two):
    response = executive_client.get(URL, {"year": "2568", "quarter": "2", "unit": "5016"})
    assert response.status_code == 200
    # The page's rows are annotated with their progress after paging (reports.filters.list_rows).
    rows = {i.name: i for i in response.context["rows"]}
    assert set(rows) == set(quarter_two)
    assert rows["more_complaints"].quarter_progress == "behind" and rows["more_complaints"].quarter_late
    assert rows["draft"].quarter_progress == "not_reported"
    assert 'class="badge progress-behind"' in response.text
    assert "≤" in response.text  # lower-is-better targets say so


def test_quarter_4_falls_back_to_the_annual_target(executive_client, quarter_two):
    year = make_fiscal_year(2568)
    reached = make_indicator(year, make_unit("0200"), name="annual", annual_target=80)
    make_report(reached, 4, "80", status="submitted")
    short = make_indicator(year, reached.org_unit, name="annual_short", annual_target=80)
    make_report(short, 4, "79", status="submitted")
    on_track = executive_client.get(URL, {"year": "2568", "quarter": "4", "progress": "on_track"})
    assert [i.name for i in on_track.context["page"].object_list] == ["annual"]
    late = executive_client.get(URL, {"year": "2568", "quarter": "4", "progress": "late"})
    assert list(late.context["page"].object_list) == []  # quarter 4 is not due yet


def test_progress_needs_a_quarter(executive_client, quarter_two):
    response = executive_client.get(URL, {"year": "2568", "progress": "behind"})
    assert codes(response) == []
    assert response.context["form"].errors["quarter"]
    assert executive_client.get(URL, {"quarter": "5"}).context["form"].errors["quarter"]
    assert executive_client.get(URL, {"quarter": "2", "progress": "ahead"}).context["form"].errors["progress"]


def test_the_quarter_filters_add_no_query(executive_client, django_assert_num_queries):
    make_many(30)
    # as test_query_count_does_not_grow_with_the_data (10 with the data's version)
    with django_assert_num_queries(10 + 1):  # + the navigation's unread notifications
        response = executive_client.get(URL, {"year": "2568", "quarter": "2", "progress": "not_reported"})
    assert len(response.context["page"].object_list) == 30


def test_the_rows_leave_out_the_long_texts_the_list_does_not_show(executive_client, quarter_two):
    response = executive_client.get(URL, {"year": "2568", "quarter": "2"})
    rows = list(response.context["rows"])
    assert len(rows) == len(quarter_two)
    assert {"definition", "calculation_method", "data_source"} <= rows[0].get_deferred_fields()


def test_rows_written_in_python_escape_what_they_show(executive_client):
    # The rows are written by reports/templatetags/listing.py, not by template lookups.
    year = make_fiscal_year(2568)
    unit = make_unit("0700", name='ฝ่าย <b>"A&B"</b>')
    indicator = make_indicator(year, unit, name="<script>x</script> & ร้อยละ", annual_target="1234.50")
    make_report(indicator, 1, "7", status="submitted")
    response = executive_client.get(URL, {"year": "2568", "quarter": "1"})
    assert "&lt;script&gt;x&lt;/script&gt; &amp; ร้อยละ" in response.text
    assert "ฝ่าย &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;" in response.text
    assert "<script>x" not in response.text
    assert "1,234.5" in response.text  # as the num filter writes it
