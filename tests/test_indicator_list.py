import pytest
from django.urls import reverse

from indicators.models import Indicator
from tests.factories import make_fiscal_year, make_indicator, make_strategy_path, make_unit

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
    # session, user, the user's roles and units, the year filter's lookup, count,
    # page, the filter choices (years, units, strategy nodes)
    with django_assert_num_queries(10):
        response = executive_client.get(URL, {"year": "2568"})
    assert response.status_code == 200
