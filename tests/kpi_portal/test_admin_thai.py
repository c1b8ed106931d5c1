"""The admin in Thai (issue 11, item 2): BE dates, no English leftovers, "Home" as the
admin says it; English still English when chosen."""

import datetime
import json
import re
from html import unescape

import pytest
from django.conf import settings

from indicators.models import FiscalQuarter, Holiday, Role
from tests.factories import as_user, make_fiscal_year, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return as_user(make_user("root", Role.ADMINISTRATOR, is_staff=True, is_superuser=True))


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def visible_text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.content.decode())
    shown = " ".join(re.findall(r'(?:placeholder|title|aria-label)="([^"]*)"', html))
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + shown)


@pytest.fixture
def holiday(db):
    return Holiday.objects.create(date=datetime.date(2027, 1, 15), name="วันหยุดพิเศษ", kind="special")


def test_admin_dates_are_buddhist_era(admin, holiday):
    Holiday.objects.create(date=datetime.date(2026, 12, 31), name="วันสิ้นปี", kind="special")
    listing = visible_text(admin, "/admin/indicators/holiday/")
    assert "15 มกราคม 2570" in listing and "31 ธันวาคม 2569" in listing
    assert "2027" not in listing and "2026" not in listing
    # The date hierarchy: years, then a year's months, then a month's days, in BE.
    years = admin.get("/admin/indicators/holiday/").text
    assert '<a href="?date__year=2027">2570</a>' in years and '<a href="?date__year=2026">2569</a>' in years
    months = visible_text(admin, "/admin/indicators/holiday/?date__year=2027")
    assert "มกราคม 2570" in months
    days = visible_text(admin, "/admin/indicators/holiday/?date__year=2027&date__month=1")
    assert "‹ 2570" in days and "15 มกราคม" in days


def test_admin_date_inputs_show_and_read_buddhist_era(admin, holiday):
    url = f"/admin/indicators/holiday/{holiday.pk}/change/"
    assert 'value="15/01/2570"' in admin.get(url).text
    response = admin.post(url, {"date": "29/02/2567", "name": "วันหยุดพิเศษ", "kind": "special"})
    assert response.status_code == 302, response.text
    holiday.refresh_from_db()
    assert holiday.date == datetime.date(2024, 2, 29)  # BE 2567 is the leap year 2024
    # The calendar pop-up writes a Christian year: still read right.
    admin.post(url, {"date": "01/03/2024", "name": "วันหยุดพิเศษ", "kind": "special"})
    holiday.refresh_from_db()
    assert holiday.date == datetime.date(2024, 3, 1)


def test_admin_dates_stay_christian_in_english(admin, holiday):
    listing = english(admin).get("/admin/indicators/holiday/").text
    assert '<a href="?date__year=2027">2027</a>' not in listing  # one year: straight to its days
    assert ">Jan. 15, 2027</a>" in listing
    assert 'value="2027-01-15"' in admin.get(f"/admin/indicators/holiday/{holiday.pk}/change/").text


def test_no_english_leftovers_on_the_admin_pages(admin):
    year = make_fiscal_year(2570)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date=datetime.date(2027, 1, 15))
    pages = [
        "/admin/",
        "/admin/axes/accessattempt/",
        "/admin/django_tasks_database/dbtaskresult/",
        "/admin/indicators/fiscalquarter/",
        f"/admin/indicators/fiscalyear/{year.pk}/change/",
        "/admin/auth/user/",
    ]
    leftovers = [
        "AXES",
        "Axes",
        "Access attempts",
        "Access logs",
        "Task Results",
        "Tasks Database Backend",
        "Otp_Static",
        "Otp_Totp",
        "TOTP devices",
        "Start typing to filter",
        "Show counts",
        "Skip to main content",
        "Toggle theme",
        "Q1",
        "Q4",
        "ไม่ว่าง",
    ]
    for url in pages:
        text = visible_text(admin, url)
        assert [word for word in leftovers if word in text] == [], url
    index = visible_text(admin, "/admin/")
    assert "การป้องกันการเดารหัสผ่าน" in index and "ผลของงานเบื้องหลัง" in index
    assert "ไม่มีรายการ" in index  # "None available" (recent actions), not "busy"
    assert "ประวัติการให้และถอนสังกัดหน่วยงาน" in index  # a history's own name is kept
    assert "2570 ไตรมาสที่ 1" in visible_text(admin, "/admin/indicators/fiscalquarter/")
    assert "หน้าหลัก" in visible_text(admin, "/admin/indicators/fiscalquarter/")  # the admin's own word


def test_the_admin_javascript_speaks_thai(admin):
    catalogue = admin.get("/admin/jsi18n/").text  # JSON: Thai as \\u escapes
    thai = json.dumps("เลือกแล้ว %(sel)s จาก %(cnt)s รายการ")
    assert thai in catalogue
    assert json.dumps("%(sel)s จาก %(cnt)s selected") not in catalogue


@pytest.mark.parametrize(
    "url, action",
    [
        ("/admin/indicators/fiscalquarter/", "lock_quarters"),
        ("/admin/indicators/holiday/", "delete_selected"),
        ("/admin/django_tasks_database/dbtaskresult/", "delete_selected"),  # a UUID key
    ],
)
def test_an_action_on_a_selection_that_is_not_row_ids_is_a_message(admin, holiday, url, action):
    year = make_fiscal_year(2570)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date=datetime.date(2027, 1, 15))
    response = admin.post(url, {"action": action, "_selected_action": ["1", "abc"], "index": "0"})
    assert response.status_code == 302 and response["Location"] == url
    page = admin.get(url).text
    assert "อ่านรายการที่เลือกไม่ได้ กรุณาเลือกรายการอีกครั้ง แล้วสั่งคำสั่งใหม่" in page
    assert Holiday.objects.count() == 1 and FiscalQuarter.objects.get().locked_at is None


def test_targets_and_results_show_thousands_separators(admin):
    from decimal import Decimal

    from indicators.models import QuarterTarget
    from tests.factories import make_indicator

    indicator = make_indicator(make_fiscal_year(2570), annual_target=Decimal("1500000"))
    QuarterTarget.objects.create(indicator=indicator, quarter=1, target=Decimal("1500"))
    assert "1,500,000.00" in visible_text(admin, "/admin/indicators/indicator/")
    listing = visible_text(admin, "/admin/indicators/quartertarget/")
    assert "1,500.00" in listing and "1500.00" not in listing


def test_permissions_are_named_in_thai(admin):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="ผู้ทดสอบ")
    page = unescape(admin.get(f"/admin/auth/group/{group.pk}/change/").text)
    assert "ทะเบียนตัวชี้วัด | ปีงบประมาณ | เพิ่มปีงบประมาณ" in page
    assert "การป้องกันการเดารหัสผ่าน | ความพยายามเข้าสู่ระบบ | ดูความพยายามเข้าสู่ระบบ" in page
    assert "ทะเบียนตัวชี้วัด | ประวัติปีงบประมาณ | ดูประวัติปีงบประมาณ" in page  # simple-history's
    assert "ผู้ดูแลระบบ | บันทึกการแก้ไขในหน้าผู้ดูแลระบบ |" in page
    assert "Can add" not in page and "Can view" not in page and "| historical" not in page
    assert "log entry" not in page
    assert "Can add" in english(admin).get(f"/admin/auth/group/{group.pk}/change/").text


def test_an_audit_entry_is_named_with_its_local_be_time(admin):
    from indicators.audit import AuditEvent

    event = AuditEvent.objects.create(kind="signed_in", username="somchai")
    at = datetime.datetime(2027, 1, 15, 2, 30, tzinfo=datetime.UTC)
    AuditEvent.objects.filter(pk=event.pk).update(at=at)
    page = visible_text(admin, f"/admin/indicators/auditevent/{event.pk}/change/")
    assert "15 มกราคม 2570, 9:30 เข้าสู่ระบบ somchai" in page  # Bangkok is UTC+7
    assert "2027-01-15" not in page


def test_two_step_device_pages_speak_thai(admin):
    text = visible_text(admin, "/admin/otp_totp/totpdevice/add/")
    assert "ผู้ใช้ที่เป็นเจ้าของอุปกรณ์นี้" in text and "ข้อมูลประจำตัว" in text and "การจำกัดการลองรหัส" in text
    for english_text in ("The user that this device belongs to", "Identity", "Timestamps", "Throttling"):
        assert english_text not in text
    assert "Identity" in visible_text(english(admin), "/admin/otp_totp/totpdevice/add/")
