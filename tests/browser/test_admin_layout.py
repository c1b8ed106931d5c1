"""The admin's indicator page in a real browser (issue 11, item 2): the audit scores'
inline, with a long comment, stays within the window."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page

from indicators.models import FiscalQuarter, QuarterTarget, Role
from reports.models import AuditScore
from tests.browser.test_reporting_flow import sign_in
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = (
    "ผลการดำเนินงานเป็นไปตามเป้าหมายที่กำหนดไว้ในแผนปฏิบัติราชการประจำปี หน่วยงานได้แนบหลักฐาน"
    "ประกอบการรายงานครบถ้วนทุกรายการ ได้แก่ รายงานการประชุมคณะทำงาน ภาพถ่ายกิจกรรม และสรุปผลการ"
    "ดำเนินโครงการ ซึ่งสอดคล้องกับค่าเป้าหมายและวิธีการคำนวณที่ระบุไว้ในรายละเอียดตัวชี้วัด "
) * 3 + "ดูหลักฐานที่ https://www.bangkok.go.th/evidence/2570/q1/5016-0685/report-of-the-quarter-final.pdf"


@pytest.fixture
def indicator(db):
    year = make_fiscal_year(2570)
    for quarter in (1, 2, 3, 4):
        FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=f"2099-0{quarter}-15")
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    auditor = make_user("auditor", Role.AUDITOR)
    make_user("root", Role.ADMINISTRATOR, password="root-pass-1", is_staff=True, is_superuser=True)
    indicator = make_indicator(year, unit, code="0685", annual_target=Decimal("1500000"))
    for quarter in (1, 2, 3, 4):
        QuarterTarget.objects.create(indicator=indicator, quarter=quarter, target=Decimal(1500 * quarter))
        AuditScore.objects.create(
            indicator=indicator,
            quarter=quarter,
            score=Decimal("95"),
            criterion_1=Decimal("100"),
            criterion_2=Decimal("90"),
            comment=COMMENT,
            auditor=auditor,
        )
    return indicator


def test_the_indicator_page_stays_within_the_window(page: Page, live_server, indicator):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "root", "root-pass-1")
    page.goto(f"{live_server.url}/admin/indicators/indicator/{indicator.pk}/change/")
    assert page.locator("#scores-group").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366
