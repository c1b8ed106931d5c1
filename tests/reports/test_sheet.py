import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from indicators.access import principal
from indicators.models import CityDataSet, Role, SupportingProject
from reports.sheet import build_sheet, sheet_for_user, sheet_queryset
from tests.factories import (
    make_fiscal_year,
    make_indicator,
    make_report,
    make_score,
    make_strategy_path,
    make_target,
    make_unit,
    make_user,
)
from tests.seed_sheet import missing_sentences

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    """The visible text of the sheet: tags dropped, entities decoded."""
    html = response.text
    html = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", html, flags=re.S)
    sheet = html[html.index('<article class="sheet"') :]
    return unescape(re.sub(r"<[^>]+>", " ", sheet))


def test_the_seed_sheet_shows_every_line_of_the_old_sheet_in_order(executive_client, seeded):
    response = executive_client.get(reverse("indicator_detail", args=[seeded.pk]))
    assert response.status_code == 200
    assert missing_sentences(page_text(response)) == []


def test_the_seed_sheet_in_detail(executive_client, seeded):
    text = page_text(executive_client.get(reverse("indicator_detail", args=[seeded.pk])))
    squeezed = re.sub(r"\s+", " ", text)
    assert "(26) ร้อยละความสำเร็จของการดำเนินโครงการให้บริการที่ดีที่สุด (Best Service)(3.2) : 5016-0685" in squeezed
    assert "ค่าเป้าหมาย ร้อยละ : 100" in squeezed
    assert "ผลงานที่ทำได้ ร้อยละ : 100" in squeezed
    assert "สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 1: 100" in squeezed
    # Quarter rows: quarter, target (not on the old sheet: "–"), result, score, 2.1 / 2.2.
    assert "1 – 30.00 100 100 / 100" in squeezed
    assert "3 – 75.00 100 100 / 100" in squeezed
    assert "4 – 100.00 100 –" in squeezed  # quarter 4 is not yet evaluated: "–", not "0 / 0"
    assert "0 / 0" not in squeezed
    assert "ด้านที่ ๗ – การบริหารจัดการเมืองมหานคร : Management Strategy" in squeezed
    assert "๗.๓.๑.๑ การพัฒนาบุคลากรให้มีทักษะ" in squeezed
    assert "ปีงบประมาณ 2560" in squeezed


def test_links_back_home_and_to_the_pdf(executive_client, seeded):
    detail = reverse("indicator_detail", args=[seeded.pk])
    response = executive_client.get(detail, HTTP_REFERER="http://testserver/indicators/?q=0685")
    assert '<a href="http://testserver/indicators/?q=0685">ย้อนกลับ</a>' in response.text
    assert f'href="{reverse("home")}">หน้าหลัก</a>' in response.text
    assert f'href="{reverse("indicator_pdf", args=[seeded.pk])}">พิมพ์ข้อมูล</a>' in response.text
    # A foreign referer is not followed.
    response = executive_client.get(detail, HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in response.text


def test_chart_is_inline_svg_without_script(executive_client):
    indicator = make_indicator(annual_target=Decimal(50))
    for quarter, target, result in ((1, "12.5", "10.00"), (2, "25", "26.00")):
        make_target(indicator, quarter, target)
        make_report(indicator, quarter, result)
    response = executive_client.get(reverse("indicator_detail", args=[indicator.pk]))
    svg = response.text[response.text.index("<svg") : response.text.index("</svg>")]
    assert "<script" not in svg
    assert not re.search(r"<script(?![^>]*\ssrc=)", response.text)  # no inline script anywhere
    assert svg.count("<rect") == 4  # two targets, two results; nothing drawn for quarters 3-4
    text = page_text(response)
    assert "ผลงานที่ทำได้ ร้อยละ : 26" in re.sub(r"\s+", " ", text)


def test_missing_values_show_a_dash_not_zero(executive_client):
    indicator = make_indicator()
    make_score(indicator, 2, 0, None, None)  # a real zero stays zero
    response = executive_client.get(reverse("indicator_detail", args=[indicator.pk]))
    rows = re.findall(r"<tr>\s*<td>(\d)</td>(.*?)</tr>", response.text, flags=re.S)
    cells = {
        int(q): [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", rest, flags=re.S)
        ]
        for q, rest in rows
    }
    assert cells[1] == ["–", "–", "–", "–"]
    assert cells[2] == ["–", "–", "0", "–"]


def test_narratives_are_escaped(executive_client):
    indicator = make_indicator()
    make_report(indicator, 1, "1", narrative='<script>alert("x")</script> รายงาน')
    response = executive_client.get(reverse("indicator_detail", args=[indicator.pk]))
    assert '<script>alert("x")</script>' not in response.text
    assert "&lt;script&gt;" in response.text


def test_unknown_indicator_is_404(executive_client):
    assert executive_client.get(reverse("indicator_detail", args=[999999])).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, seeded):
    response = client.get(reverse("indicator_detail", args=[seeded.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def make_full_indicator(scale: int):
    """An indicator with everything filled in, among ``scale`` times more data."""
    year, unit = make_fiscal_year(2568), make_unit()
    node = make_strategy_path()
    for _ in range(3 * scale):
        make_indicator(year, unit)
    indicator = make_indicator(year, unit, strategy_node=node)
    for quarter in (1, 2, 3, 4):
        make_target(indicator, quarter, 25 * quarter)
        make_report(indicator, quarter, 20 * quarter, narrative="รายงาน " * 50 * scale)
        make_score(indicator, quarter, 90, 80, 70, is_verification=quarter == 3)
    for index in range(2 * scale):
        SupportingProject.objects.create(indicator=indicator, name=f"โครงการ {index}", position=index)
        indicator.city_data_sets.add(
            CityDataSet.objects.create(code=f"D{scale}-{index}", name=f"ข้อมูล {index}")
        )
    return indicator


@pytest.mark.parametrize("scale", [1, 10])
def test_query_count_is_fixed_whatever_the_data_size(executive_client, django_assert_num_queries, scale):
    indicator = make_full_indicator(scale)
    # First view: session, user, the user's roles and units (one query), the indicator with
    # its unit, year and content tokens (the access query), then the sheet: the indicator
    # with its year, unit, strategy path and summary, targets, reports, scores, projects,
    # data sets; the navigation's unread notifications.
    with django_assert_num_queries(3 + 1 + 6 + 1):
        response = executive_client.get(reverse("indicator_detail", args=[indicator.pk]))
    assert response.status_code == 200
    assert response.text.count("โครงการ ") >= 2 * scale
    # Viewed again, the sheet comes from the cache: none of the sheet's queries.
    with django_assert_num_queries(3 + 1 + 1):
        again = executive_client.get(reverse("indicator_detail", args=[indicator.pk]))
    sheet = response.text[response.text.index('<article class="sheet"') :]
    assert again.text[again.text.index('<article class="sheet"') :] == sheet


def test_the_review_pages_sheet_reads_are_the_orms_prefetches(django_assert_num_queries):
    """reports.sheet.sheet_for_user reads what sheet_queryset prefetches by SELECTs
    written once: the same sheet, in six queries, none afterwards."""
    indicator = make_full_indicator(2)
    auditor = make_user("auditor-sheet", Role.AUDITOR)
    principal(auditor)
    with django_assert_num_queries(6):
        mine = sheet_for_user(auditor, indicator.pk)
    theirs = build_sheet(sheet_queryset().select_related("annual_summary").get(pk=indicator.pk))

    def fields_of(obj):
        return (
            None if obj is None else [(f.attname, getattr(obj, f.attname)) for f in obj._meta.concrete_fields]
        )

    with django_assert_num_queries(0):
        for row, expected in zip(mine.rows, theirs.rows, strict=True):
            assert (row.quarter, row.target) == (expected.quarter, expected.target)
            assert fields_of(row.report) == fields_of(expected.report)
            assert fields_of(row.score) == fields_of(expected.score)
            assert row.report.indicator is mine.indicator and row.score.indicator is mine.indicator
        assert fields_of(mine.verification) == fields_of(theirs.verification)
        assert [fields_of(p) for p in mine.projects] == [fields_of(p) for p in theirs.projects]
        assert [fields_of(d) for d in mine.data_sets] == [fields_of(d) for d in theirs.data_sets]
        assert [p.name for p in mine.projects] == ["โครงการ 0", "โครงการ 1", "โครงการ 2", "โครงการ 3"]
        assert mine.strategy_path == theirs.strategy_path
