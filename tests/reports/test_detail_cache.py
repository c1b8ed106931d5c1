"""The detail page's sheet is rendered once per content (reports/sheet_page.py): the page
is byte for byte what it was when rendered every time, for every role and language; every
change to what the sheet shows is on the next page, whichever door made it; what depends
on the user (the "Back" link, the quarters' actions) is the user's own; access comes first."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from indicators.models import (
    CityDataSet,
    FiscalYear,
    OrgUnit,
    QuarterTarget,
    Role,
    StrategyNode,
    SupportingProject,
)
from reports.models import AnnualSummary, AuditScore, QuarterReport, SheetVersion
from tests.factories import (
    as_user,
    make_fiscal_year,
    make_indicator,
    make_report,
    make_score,
    make_strategy_path,
    make_target,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet():
    unit = make_unit(name="สำนักงานเขตพระนคร")
    indicator = make_indicator(
        make_fiscal_year(2570), unit, name="ร้อยละของถนนที่สะอาด", strategy_node=make_strategy_path()
    )
    for quarter in (1, 2, 3, 4):
        make_target(indicator, quarter, 25 * quarter)
    make_report(indicator, 1, "30", "ล้างถนนสายหลัก", status="accepted")
    make_report(indicator, 2, "45", "ล้างถนนสายรอง", status="submitted")
    make_report(indicator, 3, "50", "ร่าง", status="draft")
    make_score(indicator, 1, 90, 80, 70, is_verification=True)
    SupportingProject.objects.create(indicator=indicator, name="โครงการถนนสะอาด", budget=1000, position=1)
    indicator.city_data_sets.add(CityDataSet.objects.create(code="D1", name="ข้อมูลถนน"))
    AnnualSummary.objects.create(indicator=indicator, text="สรุปผลทั้งปี")
    return indicator


def url(indicator) -> str:
    return reverse("indicator_detail", args=[indicator.pk])


def without_csrf(html: str) -> str:
    """The page without its CSRF tokens, which are masked anew on every request."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)
    return re.sub(r'(name="csrf-token" content=")[^"]+', r"\1", html)


def page(client, indicator, **headers) -> str:
    response = client.get(url(indicator), **headers)
    assert response.status_code == 200
    return without_csrf(response.content.decode())


def users(unit) -> dict:
    return {
        "executive": make_user(role=Role.EXECUTIVE),
        "auditor": make_user(role=Role.AUDITOR),
        "administrator": make_user(role=Role.ADMINISTRATOR),
        "staff": make_user(role=Role.UNIT_STAFF, units=[unit]),
    }


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_cached_page_is_byte_for_byte_the_page_rendered_every_time(sheet, language):
    referer = {"HTTP_REFERER": "http://testserver/indicators/?q=ถนน&year=2570"}
    for role, user in users(sheet.org_unit).items():
        client = as_user(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        first = page(client, sheet, **referer)  # rendered, then kept
        cached = page(client, sheet, **referer)
        # Without a content key the sheet is rendered every time, as it was before the cache.
        tokens = list(SheetVersion.objects.filter(indicator_id=sheet.pk).values_list("token", flat=True))
        SheetVersion.objects.filter(indicator_id=sheet.pk).delete()
        uncached = page(client, sheet, **referer)
        SheetVersion.objects.create(indicator_id=sheet.pk, token=tokens[0])
        assert first == cached == uncached, role
        assert f'<html lang="{language}">' in first


def test_what_each_role_may_do_is_its_own_on_a_cached_sheet(sheet):
    people = users(sheet.org_unit)
    pages = {role: page(as_user(user), sheet) for role, user in people.items()}
    review = reverse("quarter_review", args=[sheet.pk, 2])
    reopen = reverse("quarter_reopen", args=[sheet.pk, 1])
    enter = reverse("quarter_report", args=[sheet.pk, 3])
    history = reverse("indicator_history", args=[sheet.pk])
    assert "quarter-actions" not in pages["executive"]
    assert review in pages["auditor"] and history in pages["auditor"] and reopen not in pages["auditor"]
    assert reopen in pages["administrator"] and review not in pages["administrator"]
    assert enter in pages["staff"] and review not in pages["staff"] and history not in pages["staff"]
    # The statuses come from the database, not from the cached sheet.
    QuarterReport.objects.filter(indicator=sheet, quarter=2).update(status="accepted")
    again = page(as_user(people["auditor"]), sheet)
    assert review not in again


def test_each_user_is_led_back_where_they_came_from(sheet, executive_client):
    first = page(executive_client, sheet, HTTP_REFERER="http://testserver/indicators/?year=2570&q=a")
    assert '<a href="http://testserver/indicators/?year=2570&amp;q=a">ย้อนกลับ</a>' in first
    second = page(executive_client, sheet, HTTP_REFERER="http://testserver/dashboard/")
    assert '<a href="http://testserver/dashboard/">ย้อนกลับ</a>' in second
    assert "?year=2570&amp;q=a" not in second
    third = page(executive_client, sheet)  # no referer: the list
    assert f'<a href="{reverse("indicator_list")}">ย้อนกลับ</a>' in third


def test_others_still_get_404_once_the_sheet_is_cached(sheet, executive_client):
    page(executive_client, sheet)
    outsider = make_user(role=Role.UNIT_STAFF, units=[make_unit()])
    assert as_user(outsider).get(url(sheet)).status_code == 404
    assert as_user(make_user(role=Role.UNIT_STAFF)).get(url(sheet)).status_code == 404


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


# (what changes, how: every door but save(), the text the page then shows)
EDITS = [
    (
        "report narrative",
        lambda i: QuarterReport.objects.filter(indicator=i, quarter=1).update(narrative="กวาดตลาดนัด"),
        "กวาดตลาดนัด",
    ),
    (
        "target",
        lambda i: QuarterTarget.objects.filter(indicator=i, quarter=4).update(target=4321),
        '<td class="num">4,321.00</td>',
    ),
    (
        "score",
        lambda i: AuditScore.objects.filter(indicator=i, quarter=1).update(score=63),
        '<td class="num">63</td>',
    ),
    (
        "project",
        lambda i: SupportingProject.objects.filter(indicator=i).update(name="โครงการคลองใส"),
        "<li>โครงการคลองใส (",
    ),
    (
        "new project",
        lambda i: SupportingProject.objects.create(indicator=i, name="โครงการใหม่", position=2),
        "<li>โครงการใหม่</li>",
    ),
    (
        "strategy node name",
        lambda i: StrategyNode.objects.filter(code="1.1").update(title="เมืองปลอดภัย"),
        "เมืองปลอดภัย",
    ),
    (
        "unit name",
        lambda i: sql(f"UPDATE {OrgUnit._meta.db_table} SET name = %s WHERE id = %s", "บางรัก", i.org_unit_id),
        "บางรัก",
    ),
    (
        "year",
        lambda i: FiscalYear.objects.filter(pk=i.fiscal_year_id).update(year=2571),
        "ปีงบประมาณ 2571",
    ),
    (
        "summary",
        lambda i: AnnualSummary.objects.filter(indicator=i).update(text="ผ่านเกณฑ์ทุกไตรมาส"),
        "ผ่านเกณฑ์ทุกไตรมาส",
    ),
    (
        "city data set",
        lambda i: CityDataSet.objects.filter(code="D1").update(name="ข้อมูลคลอง"),
        "D1 ข้อมูลคลอง",
    ),
    (
        "indicator name",
        lambda i: sql("UPDATE indicators_indicator SET name = %s WHERE id = %s", "ร้อยละของคลองที่ใส", i.pk),
        "ร้อยละของคลองที่ใส",
    ),
]


@pytest.mark.parametrize(("what", "edit", "shown"), EDITS, ids=[edit[0] for edit in EDITS])
def test_every_change_to_the_sheet_is_on_the_next_page(sheet, executive_client, what, edit, shown):
    before = page(executive_client, sheet)
    assert page(executive_client, sheet) == before  # the cached sheet
    assert shown not in before
    edit(sheet)
    assert shown in page(executive_client, sheet)


def test_a_sheet_without_a_content_key_is_rendered_every_time(sheet, executive_client):
    SheetVersion.objects.filter(indicator_id=sheet.pk).delete()
    page(executive_client, sheet)
    sql("DELETE FROM reports_sheetversion")  # not even the shared token, nor the edit's
    QuarterReport.objects.filter(indicator=sheet, quarter=1).update(narrative="กวาดตลาดนัด")
    sql("DELETE FROM reports_sheetversion")
    assert "กวาดตลาดนัด" in page(executive_client, sheet)
