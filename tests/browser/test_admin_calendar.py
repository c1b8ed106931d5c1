"""The admin's calendar pop-up in Thai (issue 11, item 2): Buddhist-Era years in its
caption, opened at the BE date the input holds, a picked day written back in BE."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from indicators.models import FiscalQuarter, Role
from tests.browser.test_reporting_flow import sign_in
from tests.factories import make_fiscal_year, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quarter(db):
    make_user("root", Role.ADMINISTRATOR, password="root-pass-1", is_staff=True, is_superuser=True)
    return FiscalQuarter.objects.create(
        fiscal_year=make_fiscal_year(2570), quarter=2, due_date=datetime.date(2027, 1, 15)
    )


def test_the_calendar_pop_up_shows_and_writes_buddhist_era_years(page: Page, live_server, quarter):
    page.clock.set_fixed_time(datetime.datetime(2026, 11, 27, 10, 0))
    sign_in(page, live_server.url, "root", "root-pass-1")
    page.goto(f"{live_server.url}/admin/indicators/fiscalquarter/{quarter.pk}/change/")
    due_date = page.locator("#id_due_date")
    caption = page.locator("#calendarin0 caption")
    expect(due_date).to_have_value("15/01/2570")

    # Opened at the input's date, January 2027, whose 1st is a Friday (weeks start on Sunday).
    page.locator("#calendarlink0").click()
    expect(caption).to_have_text("มกราคม 2570")
    expect(page.locator("#calendarin0 tr").nth(1).locator("td")).to_have_text(["", "", "", "", "", "1", "2"])
    expect(page.locator("#calendarin0 td.selected")).to_have_text("15")
    page.keyboard.press("Escape")

    page.get_by_role("link", name="วันนี้").click()
    expect(due_date).to_have_value("27/11/2569")

    page.locator("#calendarlink0").click()
    expect(caption).to_have_text("พฤศจิกายน 2569")
    page.locator("#calendarbox0 .calendarnav-next").click()
    expect(caption).to_have_text("ธันวาคม 2569")
    page.locator("#calendarin0 a", has_text="20").first.click()
    expect(due_date).to_have_value("20/12/2569")

    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    quarter.refresh_from_db()
    assert quarter.due_date == datetime.date(2026, 12, 20)


def test_in_english_the_calendar_pop_up_keeps_christian_years(page: Page, live_server, quarter):
    sign_in(page, live_server.url, "root", "root-pass-1")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/admin/indicators/fiscalquarter/{quarter.pk}/change/")
    expect(page.locator("#id_due_date")).to_have_value("2027-01-15")
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarin0 caption")).to_have_text("January 2027")
    page.locator("#calendarin0 a", has_text="20").first.click()
    expect(page.locator("#id_due_date")).to_have_value("2027-01-20")
