"""A phone (390 px) and the keyboard alone: the navigation collapses behind a button,
staff enter and submit a quarter on a phone, and staff entry and the auditors' review
are done without a mouse."""

import pytest
from playwright.sync_api import Page, expect

from reports.models import AuditScore, QuarterReport
from tests.browser.pages import PHONE, build_world, sign_in_by_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def test_the_navigation_collapses_on_a_phone(page: Page, live_server, world):
    sign_in_by_cookie(page, live_server.url, world["people"]["executive"])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    dashboard_link = page.locator("#main-nav").get_by_role("link", name="แดชบอร์ด")
    expect(dashboard_link).to_be_hidden()
    toggler = page.get_by_role("button", name="เมนู")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(dashboard_link).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    dashboard_link.click()
    expect(page).to_have_url(live_server.url + "/dashboard/")
    # On a desktop the links show without the button.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(page.get_by_role("button", name="เมนู")).to_be_hidden()
    expect(page.locator("#main-nav").get_by_role("link", name="แดชบอร์ด")).to_be_visible()


def test_staff_enter_and_submit_a_quarter_on_a_phone(page: Page, live_server, world):
    indicator = world["indicator"]
    sign_in_by_cookie(page, live_server.url, world["people"]["staff"])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    # The status badge is the link to the entry page.
    page.locator(f"#my-indicators-list a[href='/indicators/{indicator.pk}/quarters/4/report/']").click()
    expect(page.get_by_role("heading", name="รายงานผลไตรมาสที่ 4")).to_be_visible()
    page.get_by_label("ผลงานสะสม (ร้อยละ)").fill("85")
    narrative = page.get_by_label("รายงานผลการดำเนินงาน")
    narrative.fill("ดำเนินการครบทุกกิจกรรมตามแผน ผู้สูงอายุเข้าร่วม 320 คน")
    expect(page.locator("#id_narrative_helptext")).to_have_text("54 จาก 20,000 ตัวอักษร")  # 54 characters typed
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    submit = page.get_by_role("button", name="ส่งให้ผู้ตรวจประเมิน")
    submit.scroll_into_view_if_needed()
    # Leaving the text box starts an autosave whose status appears below the buttons:
    # the button must not move between the finger going down and up.
    submit.click()
    expect(page.locator(".alert-success")).to_contain_text("ส่งรายงานไตรมาสที่ 4 แล้ว")
    report = QuarterReport.objects.get(indicator=indicator, quarter=4)
    assert (report.status, report.result) == ("submitted", 85)


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_entry_and_review_with_the_keyboard_alone(page: Page, live_server, world):
    indicator = world["indicator"]
    base = live_server.url

    # Staff: from their home page to the entry page, fill it in and submit, keys only.
    sign_in_by_cookie(page, base, world["people"]["staff"])
    page.goto(base + "/")
    tab_to(page, f"a[href='/indicators/{indicator.pk}/quarters/4/report/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="รายงานผลไตรมาสที่ 4")).to_be_visible()
    tab_to(page, "#id_result")
    page.keyboard.type("90")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_narrative"
    page.keyboard.type("รายงานด้วยแป้นพิมพ์")
    tab_to(page, "button[name=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_be_visible()
    assert QuarterReport.objects.get(indicator=indicator, quarter=4).status == "submitted"

    # The auditor: from the queue to the review, scores typed, accepted, keys only.
    sign_in_by_cookie(page, base, world["people"]["auditor"])
    page.goto(base + "/review/")
    tab_to(page, f"a[href='/indicators/{indicator.pk}/quarters/4/review/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="ตรวจประเมินไตรมาสที่ 4")).to_be_visible()
    tab_to(page, "#id_criterion_1")
    page.keyboard.type("100")
    tab_to(page, "#id_criterion_2")
    page.keyboard.type("80")
    tab_to(page, "#id_score")
    page.keyboard.type("90")
    tab_to(page, "#id_is_verification")
    page.keyboard.press("Space")
    tab_to(page, "button[name=accept]")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_be_visible()
    assert QuarterReport.objects.get(indicator=indicator, quarter=4).status == "accepted"
    score = AuditScore.objects.get(indicator=indicator, quarter=4)
    assert (score.criterion_1, score.criterion_2, score.score, score.is_verification) == (100, 80, 90, True)
