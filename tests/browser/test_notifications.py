"""Notifications in a real browser: the auditor returns a report, the unit's staff see
the unread count in the navigation, read the comment in the list, open it (the count
goes), and turn mails off on their preferences page."""

import pytest
from playwright.sync_api import Page, expect

from indicators.models import FiscalQuarter, Role
from reports import services
from reports.models import NotificationPreference, QuarterReport, Review
from tests.browser.test_reporting_flow import sign_in
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def returned(settings):
    year = make_fiscal_year(2568)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2099-01-15")
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    staff = make_user("somchai", Role.UNIT_STAFF, [unit], password="staff-pass-1", email="s@example.org")
    auditor = make_user("auditor", Role.AUDITOR)
    indicator = make_indicator(year, unit, code="0685", name="ร้อยละความสำเร็จของการดำเนินโครงการ")
    report = make_report(indicator, 1, "30", "รายงาน", status=QuarterReport.Status.SUBMITTED)
    services.review_report(
        report, auditor, accept=False, version=report.version, review=Review(comment="กรุณาแนบภาพถ่ายกิจกรรม")
    )
    return staff, indicator


def test_unread_badge_list_and_preferences(page: Page, live_server, returned):
    staff, indicator = returned
    base = live_server.url
    sign_in(page, base, "somchai", "staff-pass-1")
    expect(page.locator("#unread-count")).to_have_text("1 ยังไม่อ่าน")
    page.locator("#nav-notifications").click()
    expect(page).to_have_url(f"{base}/notifications/")
    item = page.locator("#notifications .list-group-item").first
    expect(item).to_contain_text("ส่งกลับให้แก้ไข: 5016-0685")
    expect(item).to_contain_text("กรุณาแนบภาพถ่ายกิจกรรม")
    item.get_by_role("button", name="เปิดและทำเครื่องหมายว่าอ่านแล้ว").click()
    expect(page).to_have_url(f"{base}/indicators/{indicator.pk}/quarters/1/report/")
    expect(page.locator("#unread-count")).to_have_count(0)

    page.goto(f"{base}/notifications/preferences/")
    page.get_by_label("รายงานที่ถูกส่งกลับหรือได้รับการรับรอง: ทางอีเมล").uncheck()
    page.get_by_role("button", name="บันทึก").click()
    expect(page.locator(".alert-success")).to_contain_text("บันทึกการตั้งค่าการแจ้งเตือนแล้ว")
    preference = NotificationPreference.objects.get(user=staff, kind="reviews")
    assert (preference.in_app, preference.email) == (True, False)
