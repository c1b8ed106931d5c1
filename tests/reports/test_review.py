"""Review by auditors (return, accept, verification) and reopening by administrators."""

import io
import re
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports.models import AuditScore, QuarterReport
from tests.factories import as_user, make_report
from tests.reports.reporting import entry_url, review, save

pytestmark = pytest.mark.django_db


def test_review_return_revise_resubmit_accept_and_the_sheet_shows_it(setup):
    indicator = setup["indicator"]
    staff, auditor = as_user(setup["staff"]), as_user(setup["auditor"])
    save(staff, indicator, submit=True, result="30", narrative="ฉบับแรก")
    assert indicator.name in auditor.get(reverse("review_queue")).content.decode()

    # Returning needs a comment.
    response = review(auditor, indicator, accept=False, comment="")
    assert response.status_code == 400
    assert QuarterReport.objects.get().status == "submitted"
    assert review(auditor, indicator, accept=False, comment="กรุณาแนบภาพกิจกรรม").status_code == 302
    report = QuarterReport.objects.get()
    assert report.status == "returned"
    page = staff.get(entry_url(indicator)).content.decode()
    assert "กรุณาแนบภาพกิจกรรม" in page

    save(staff, indicator, version=report.version, submit=True, result="35", narrative="ฉบับแก้ไข")
    assert QuarterReport.objects.get().status == "submitted"
    assert (
        review(
            auditor, indicator, score="95", criterion_1="100", criterion_2="90", is_verification="on"
        ).status_code
        == 302
    )
    report = QuarterReport.objects.get()
    assert report.status == "accepted" and report.reviewed_by == setup["auditor"]
    score = AuditScore.objects.get()
    assert (score.score, score.criterion_1, score.criterion_2, score.is_verification) == (95, 100, 90, True)

    # Accepted: locked for staff.
    assert save(staff, indicator, version=report.version, narrative="แก้หลังตรวจ").status_code == 403

    # The sheet and its PDF show the new values at once.
    sheet = unescape(staff.get(reverse("indicator_detail", args=[indicator.pk])).content.decode())
    assert "สยป. ตรวจประเมินตัวชี้วัด" in sheet
    assert re.search(r"ไตรมาสที่ 1:\s*95", sheet)
    assert re.search(r"35\.00\s*</td>\s*<td[^>]*>\s*95\s*</td>\s*<td[^>]*>\s*100 / 90", sheet)
    pdf = staff.get(reverse("indicator_pdf", args=[indicator.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "100 / 90" in text and "35.00" in text


def test_only_a_submitted_report_can_be_reviewed(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ร่าง")
    response = review(as_user(setup["auditor"]), indicator)
    assert response.status_code == 403
    assert not AuditScore.objects.exists()


def test_verification_moves_to_the_newly_verified_quarter(setup):
    indicator = setup["indicator"]
    AuditScore.objects.create(indicator=indicator, quarter=1, score=100, is_verification=True)
    make_report(indicator, 3, "75", "ไตรมาสสาม", status="submitted")
    assert review(as_user(setup["auditor"]), indicator, quarter=3, is_verification="on").status_code == 302
    assert list(AuditScore.objects.filter(is_verification=True).values_list("quarter", flat=True)) == [3]


def test_administrators_reopen_an_accepted_quarter_with_a_reason(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ผ่านแล้ว", status="accepted")
    url = reverse("quarter_reopen", args=[indicator.pk, 1])
    admin = as_user(setup["admin"])
    admin.post(url, {"reason": ""})
    assert QuarterReport.objects.get().status == "accepted"
    assert admin.post(url, {"reason": "หน่วยงานขอแก้ไขตัวเลข"}).status_code == 302
    report = QuarterReport.objects.get()
    assert report.status == "returned" and report.return_comment == "หน่วยงานขอแก้ไขตัวเลข"
    assert "หน่วยงานขอแก้ไขตัวเลข" in as_user(setup["staff"]).get(entry_url(indicator)).content.decode()
