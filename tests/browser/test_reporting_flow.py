"""The quarterly cycle in a real browser: staff enter and submit, the auditor
returns, staff revise, the auditor scores and accepts, the sheet shows it."""

import base64
import io
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from indicators.models import FiscalQuarter, Role
from reports.models import AuditScore, QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user
from tests.two_factor_codes import code_from_secret, next_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def indicator(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    year = make_fiscal_year(2568)
    for quarter in (1, 2, 3, 4):
        FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=f"2099-0{quarter}-15")
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    make_user("somchai", Role.UNIT_STAFF, [unit], password="staff-pass-1", first_name="สมชาย")
    make_user("auditor", Role.AUDITOR, password="auditor-pass-1", first_name="ผู้ตรวจ")
    return make_indicator(year, unit, code="0685", name="ร้อยละความสำเร็จของการดำเนินโครงการ")


def sign_in(page: Page, base: str, username: str, password: str):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page.locator("form[action='/accounts/logout/']")).to_be_visible()
    # Auditors give a second factor: the first time they set up an app (typing the key
    # shown on the page into "their app", here computed), later they type its code.
    if "/account/two-factor/setup/" in page.url:
        secret = base64.b32decode(page.locator("#two-factor-secret").inner_text().replace(" ", ""))
        page.fill("#id_code", code_from_secret(secret))
        page.locator("#two-factor-setup button[type=submit]").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.get_by_role("link", name="เก็บรหัสไว้แล้ว ดำเนินการต่อ").click()
    elif "/account/two-factor/" in page.url:
        page.fill("#id_code", next_code(TOTPDevice.objects.get(user__username=username)))
        page.locator("#two-factor-verify button[type=submit]").click()
    expect(page.locator("form[action='/accounts/logout/']")).to_be_visible()
    assert "/account/two-factor/" not in page.url


def sign_out(page: Page):
    page.locator("form[action='/accounts/logout/'] button").click()


def test_quarter_cycle(page: Page, live_server, indicator):
    base = live_server.url
    entry = f"{base}/indicators/{indicator.pk}/quarters/1/report/"
    review = f"{base}/indicators/{indicator.pk}/quarters/1/review/"

    # Staff type a result and a narrative; the draft saves itself.
    sign_in(page, base, "somchai", "staff-pass-1")
    page.goto(entry)
    page.fill("#id_result", "30")
    typed = "รายงานผลไตรมาสที่ 1 ดำเนินการแล้ว"

    def autosave_of_typed_text(response):
        body = response.request.post_data_buffer or b""
        return "/autosave/" in response.url and typed.encode() in body

    with page.expect_response(autosave_of_typed_text, timeout=15_000) as saved:
        page.locator("#id_narrative").press_sequentially(typed, delay=5)
    assert saved.value.status == 200
    expect(page.locator("#autosave-status")).to_have_class(re.compile("text-success"))
    page.reload()
    expect(page.locator("#id_narrative")).to_have_value("รายงานผลไตรมาสที่ 1 ดำเนินการแล้ว")
    expect(page.locator("#id_result")).to_have_value("30.00")
    page.locator("button[name=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert QuarterReport.objects.get().status == "submitted"
    sign_out(page)

    # The auditor returns it with a comment.
    sign_in(page, base, "auditor", "auditor-pass-1")
    expect(page.locator(f"a[href='/indicators/{indicator.pk}/quarters/1/review/']")).to_be_visible()
    page.goto(review)
    page.fill("#id_comment", "กรุณาแนบภาพกิจกรรมเพิ่มเติม")
    page.locator("button[name=return]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert QuarterReport.objects.get().status == "returned"
    sign_out(page)

    # Staff see the comment, revise and resubmit.
    sign_in(page, base, "somchai", "staff-pass-1")
    page.goto(entry)
    expect(page.locator("#return-comment")).to_contain_text("กรุณาแนบภาพกิจกรรมเพิ่มเติม")
    page.fill("#id_result", "35")
    page.fill("#id_narrative", "รายงานฉบับแก้ไข แนบภาพกิจกรรมแล้ว")
    page.locator("button[name=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    sign_out(page)

    # The auditor scores and accepts.
    sign_in(page, base, "auditor", "auditor-pass-1")
    page.goto(review)
    page.fill("#id_criterion_1", "100")
    page.fill("#id_criterion_2", "90")
    page.fill("#id_score", "95")
    page.check("#id_is_verification")
    page.locator("button[name=accept]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    report = QuarterReport.objects.get()
    assert report.status == "accepted" and report.result == 35
    assert AuditScore.objects.get().score == 95

    # The sheet and its PDF show the scores.
    page.goto(f"{base}/indicators/{indicator.pk}/")
    expect(page.locator(".sheet-verification")).to_contain_text("95")
    expect(page.locator(".sheet-quarters tbody tr").first).to_contain_text("100 / 90")
    pdf = page.request.get(f"{base}/indicators/{indicator.pk}/pdf/")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "100 / 90" in text and "35.00" in text and "95" in text
