import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from indicators import thai


def test_buddhist_era_dates_with_thai_months():
    day = datetime.date(2025, 3, 15)
    assert thai.format_date(day) == "15 มีนาคม 2568"
    assert thai.format_date(day, "short") == "15 มี.ค. 2568"
    assert thai.format_date(day, "numeric") == "15/03/2568"


def test_a_date_typed_in_the_buddhist_era_is_read_as_gregorian():
    assert thai.parse_be_date("15/03/2568") == datetime.date(2025, 3, 15)
    assert thai.parse_be_date("๑๕/๐๓/๒๕๖๘") == datetime.date(2025, 3, 15)
    with pytest.raises(ValueError):
        thai.parse_be_date("2025-03-15")


@pytest.mark.parametrize(
    ("day", "fiscal_year", "quarter"),
    [
        (datetime.date(2016, 10, 1), 2560, 1),
        (datetime.date(2016, 12, 31), 2560, 1),
        (datetime.date(2017, 1, 1), 2560, 2),
        (datetime.date(2017, 6, 30), 2560, 3),
        (datetime.date(2017, 9, 30), 2560, 4),
        (datetime.date(2026, 11, 26), 2570, 1),
    ],
)
def test_fiscal_year_and_quarter(day, fiscal_year, quarter):
    assert thai.fiscal_year_of(day) == fiscal_year
    assert thai.fiscal_quarter_of(day) == quarter


def test_fiscal_year_bounds_and_quarter_ends():
    assert thai.fiscal_year_bounds(2560) == (datetime.date(2016, 10, 1), datetime.date(2017, 9, 30))
    assert [thai.quarter_end(2560, q) for q in (1, 2, 3, 4)] == [
        datetime.date(2016, 12, 31),
        datetime.date(2017, 3, 31),
        datetime.date(2017, 6, 30),
        datetime.date(2017, 9, 30),
    ]


def test_thai_digits():
    assert thai.to_thai_digits("7.3.1.1") == "๗.๓.๑.๑"
    assert thai.to_arabic_digits("๗.๓") == "7.3"


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("100.00"), None, "100"),
        (Decimal("1.5E+3"), None, "1,500"),
        (Decimal("87.50"), None, "87.5"),
        (Decimal("30"), 2, "30.00"),
        (Decimal("2500000"), 2, "2,500,000.00"),
    ],
)
def test_number_format(value, places, text):
    assert thai.format_number(value, places) == text


def test_template_filters_show_a_dash_for_missing_values_never_zero():
    rendered = Template("{{ a|num:2 }}|{{ b|num }}|{{ c|be_date }}|{{ d|num }}").render(
        Context({"a": None, "b": "", "c": None, "d": Decimal(0)})
    )
    assert rendered == "–|–|–|0"


def test_narrative_paragraphs_are_escaped_and_keep_mai_yamok_with_its_word():
    rendered = Template("{{ text|thai_paragraphs }}").render(
        Context({"text": "<script>alert(1)</script> ต่าง ๆ\n\nย่อหน้าสอง"})
    )
    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered
    assert "ต่าง\u00a0ๆ" in rendered
    assert rendered.count("<p>") == 2
