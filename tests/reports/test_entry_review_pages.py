"""What the entry, review, queue and staff home pages say (issue 11, item 8): one length
hint, a warning before a quarter starts, who returned a report and when, an accepted
quarter's score on the review page, the queue's units, administrators not reviewing."""

import datetime
import re
import zoneinfo
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from indicators.models import FiscalYear, Indicator, OrgUnit
from reports.models import AuditScore, QuarterReport
from tests.factories import as_user, make_report
from tests.reports.reporting import entry_url, review, save

pytestmark = pytest.mark.django_db
BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")


def at(moment: str):
    return time_machine.travel(datetime.datetime.fromisoformat(moment).replace(tzinfo=BANGKOK), tick=False)


def text_of(response) -> str:
    """The page's text, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def review_url(indicator, quarter=1):
    return reverse("quarter_review", args=[indicator.pk, quarter])


def test_the_narrative_has_one_length_hint_tied_to_the_field(setup):
    page = as_user(setup["staff"]).get(entry_url(setup["indicator"])).content.decode()
    assert page.count("20,000") == 1
    assert "ข้อความธรรมดา ไม่เกิน 20,000 ตัวอักษร" in page
    assert re.search(r'<textarea[^>]*aria-describedby="id_narrative_helptext"', page)
    assert 'id="id_narrative_helptext"' in page


@pytest.mark.parametrize(
    "quarter, warned",
    [(1, None), (2, "ไตรมาสที่ 2 เริ่มวันที่ 1 มกราคม 2570"), (4, "ไตรมาสที่ 4 เริ่มวันที่ 1 กรกฎาคม 2570")],
)
def test_a_quarter_not_started_is_warned_about_but_can_be_saved(setup, quarter, warned):
    FiscalYear.objects.filter(pk=setup["indicator"].fiscal_year_id).update(year=2570)
    with at("2026-11-27T10:00"):
        staff = as_user(setup["staff"])
        page = text_of(staff.get(entry_url(setup["indicator"], quarter)))
        if warned:
            assert warned in page and "กรอกล่วงหน้าได้" in page
        else:
            assert "กรอกล่วงหน้าได้" not in page
        assert save(staff, setup["indicator"], quarter, submit=True).status_code == 302
    assert QuarterReport.objects.get(quarter=quarter).status == "submitted"


def test_a_returned_report_shows_who_returned_it_and_when_not_when_it_was_sent(setup):
    indicator = setup["indicator"]
    # Each step signs in inside its travel: sessions end when idle.
    with at("2026-11-20T09:00"):
        assert save(as_user(setup["staff"]), indicator, submit=True).status_code == 302
    with at("2026-11-27T14:30"):
        assert (
            review(as_user(setup["auditor"]), indicator, accept=False, comment="แนบภาพเพิ่ม").status_code == 302
        )
    with at("2026-11-28T08:00"):
        page = text_of(as_user(setup["staff"]).get(entry_url(indicator)))
    assert "ส่งกลับให้แก้ไข: โดย ผู้ตรวจ เมื่อ 27 พ.ย. 2569 14:30 แนบภาพเพิ่ม" in page
    assert "ส่งกลับ 27 พ.ย. 2569 14:30" in page
    assert "ส่งแล้ว" not in page and "20 พ.ย." not in page


def test_a_return_without_a_known_reviewer_invents_no_one(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ร่าง", status="returned", return_comment="ย้ายจากระบบเดิม")
    make_report(
        indicator,
        2,
        "20",
        "ร่าง",
        status="returned",
        return_comment="ตัวเลขไม่ตรง",
        reviewed_at=datetime.datetime(2026, 11, 27, 9, 5, tzinfo=BANGKOK),
    )
    staff = as_user(setup["staff"])
    first = text_of(staff.get(entry_url(indicator, 1)))
    assert "ส่งกลับให้แก้ไข: ย้ายจากระบบเดิม" in first and "โดย" not in first
    second = text_of(staff.get(entry_url(indicator, 2)))
    assert "ส่งกลับให้แก้ไข: เมื่อ 27 พ.ย. 2569 09:05 ตัวเลขไม่ตรง" in second and "โดย" not in second


def test_a_reopened_quarter_names_the_administrator(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ผ่านแล้ว", status="accepted", reviewed_by=setup["auditor"])
    setup["admin"].first_name = "ผู้ดูแล"
    setup["admin"].save()
    with at("2026-11-27T11:00"):  # signed in inside the travel: sessions end when idle
        admin = as_user(setup["admin"])
        assert (
            admin.post(reverse("quarter_reopen", args=[indicator.pk, 1]), {"reason": "ขอแก้ตัวเลข"}).status_code
            == 302
        )
        page = text_of(as_user(setup["staff"]).get(entry_url(indicator)))
    assert QuarterReport.objects.get().status == "returned"
    assert "ส่งกลับให้แก้ไข: โดย ผู้ดูแล เมื่อ 27 พ.ย. 2569 11:00 ขอแก้ตัวเลข" in page


def test_the_review_page_names_the_indicator_once_and_keeps_its_code_whole(setup):
    indicator = setup["indicator"]
    save(as_user(setup["staff"]), indicator, submit=True)
    response = as_user(setup["auditor"]).get(review_url(indicator))
    page = response.content.decode()
    assert page.count(indicator.name) == 1
    assert 'class="sheet-title"' not in page and 'class="sheet-nav' not in page  # the sheet's own head
    assert page.count(f'href="{reverse("home")}"') == 2  # the navbar's brand and the breadcrumb
    assert '<span class="text-nowrap">5016-0685</span>' in page
    assert "ร้อยละความสำเร็จของโครงการ" in page


def test_an_accepted_quarter_shows_its_score_reviewer_and_date_on_the_review_page(setup):
    indicator = setup["indicator"]
    save(as_user(setup["staff"]), indicator, submit=True)
    with at("2026-11-27T15:45"):  # signed in inside the travel: sessions end when idle
        auditor = as_user(setup["auditor"])
        assert review(auditor, indicator, score="88", criterion_1="90", criterion_2="80").status_code == 302
        assert AuditScore.objects.get().score == 88
        page = text_of(auditor.get(review_url(indicator)))
    assert "ตรวจได้เฉพาะรายงานที่ส่งแล้ว" not in page
    assert "ตรวจประเมิน โดย ผู้ตรวจ เมื่อ 27 พ.ย. 2569 15:45" in page
    assert "คะแนน: 88 · (2.1 / 2.2) 90 / 80" in page


def test_the_queue_shows_the_result_with_its_unit_and_an_unbroken_button(setup):
    indicator = setup["indicator"]
    save(as_user(setup["staff"]), indicator, submit=True, result="30")
    page = as_user(setup["auditor"]).get(reverse("review_queue")).content.decode()
    assert re.search(r'<td class="text-end text-nowrap">30\.00 <span[^>]*>ร้อยละ</span></td>', page)
    assert re.search(rf'<td class="text-nowrap"><a class="btn[^"]*" href="{review_url(indicator)}">', page)


def test_administrators_are_offered_no_review_that_would_be_refused(setup):
    indicator = setup["indicator"]
    save(as_user(setup["staff"]), indicator, submit=True)
    admin = as_user(setup["admin"])
    assert admin.get(reverse("review_queue")).status_code == 403
    for url in (reverse("home"), reverse("indicator_list"), reverse("indicator_detail", args=[indicator.pk])):
        page = admin.get(url).content.decode()
        assert reverse("review_queue") not in page, url
        assert review_url(indicator) not in page, url
    assert admin.get(review_url(indicator)).status_code == 403
    assert review(admin, indicator).status_code == 403
    # The auditor, for comparison, is offered both.
    detail = as_user(setup["auditor"]).get(reverse("indicator_detail", args=[indicator.pk])).content.decode()
    assert review_url(indicator) in detail and reverse("review_queue") in detail


def test_staff_home_status_badges_lead_to_the_entry_page(setup):
    indicator = setup["indicator"]
    save(as_user(setup["staff"]), indicator, 2)
    page = as_user(setup["staff"]).get(reverse("home")).content.decode()
    for quarter, label in ((1, "ยังไม่เริ่ม"), (2, "ร่าง")):
        link = re.search(rf'<a href="{entry_url(indicator, quarter)}"[^>]*>(.*?)</a>', page, re.S)
        assert link and label in link.group(1) and "badge" in link.group(1), quarter


def test_the_review_page_of_a_returned_quarter_shows_the_return_not_the_submission(setup):
    indicator = setup["indicator"]
    with at("2026-11-20T09:00"):  # signed in inside each travel: sessions end when idle
        assert save(as_user(setup["staff"]), indicator, submit=True).status_code == 302
    with at("2026-11-27T14:30"):
        auditor = as_user(setup["auditor"])
        assert review(auditor, indicator, accept=False, comment="แนบภาพเพิ่ม").status_code == 302
        page = text_of(auditor.get(review_url(indicator)))
    assert "ส่งกลับให้แก้ไข: โดย ผู้ตรวจ เมื่อ 27 พ.ย. 2569 14:30 แนบภาพเพิ่ม" in page
    assert "20 พ.ย. 2569" not in page and "ตรวจได้เฉพาะรายงานที่ส่งแล้ว" not in page


def test_the_queue_rows_and_filters_escape_names_mark_late_reports_and_keep_the_choice(setup):
    indicator = setup["indicator"]
    save(as_user(setup["staff"]), indicator, submit=True, result="30")
    QuarterReport.objects.update(is_late=True)
    OrgUnit.objects.filter(pk=indicator.org_unit_id).update(name='เขต <ทดสอบ> & "ก"')
    Indicator.objects.filter(pk=indicator.pk).update(name="ตัวชี้วัด <b>")
    code = indicator.org_unit.code
    page = as_user(setup["auditor"]).get(reverse("review_queue"), {"unit": code, "quarter": "1"})
    html = page.content.decode()
    assert '<span class="badge text-bg-warning">ล่าช้า</span></td>' in html
    assert '<td class="cell-name">ตัวชี้วัด &lt;b&gt;</td>' in html
    assert '<td class="cell-unit">เขต &lt;ทดสอบ&gt; &amp; &quot;ก&quot;</td>' in html
    assert f'<option value="{code}" selected>{code} เขต &lt;ทดสอบ&gt; &amp; &quot;ก&quot;</option>' in html
    assert '<option value="1" selected>1</option><option value="2">2</option>' in html
    assert f"<td>1/{indicator.fiscal_year.year}</td>" in html
    assert html.count("\n    <tr>\n") == 1  # the one waiting report's row
