"""The history page: who changed what, when, from what to what."""

import re
from html import unescape

import pytest
from django.urls import reverse

from reports.models import AuditScore, QuarterReport
from tests.factories import as_user
from tests.reports.reporting import review, save

pytestmark = pytest.mark.django_db


def test_history_records_each_change_with_its_user(setup):
    indicator = setup["indicator"]
    staff, auditor = as_user(setup["staff"]), as_user(setup["auditor"])
    save(staff, indicator, result="30", narrative="ฉบับแรก")
    save(staff, indicator, version=1, submit=True, result="31", narrative="ฉบับส่ง")
    review(auditor, indicator, score="88")
    report = QuarterReport.objects.get()
    records = list(report.history.order_by("history_id"))
    assert [r.history_user for r in records] == [setup["staff"], setup["staff"], setup["auditor"]]
    assert [r.status for r in records] == ["draft", "submitted", "accepted"]
    assert AuditScore.objects.get().history.get().history_user == setup["auditor"]
    page = unescape(auditor.get(reverse("indicator_history", args=[indicator.pk])).content.decode())
    assert "ผู้ตรวจ" in page and "สมชาย" in page
    # The narrative's change, word by word: ฉบับ kept, แรก removed, ส่ง added.
    assert re.search(r'ฉบับ<del class="history-removed">.*?แรก.*?</del>', page)
    assert re.search(r'ฉบับ<ins class="history-added">.*?ส่ง.*?</ins>', page)
    assert re.search(r"30\.00.*?31\.00", page, re.S)


def history_page(client, indicator) -> str:
    return unescape(client.get(reverse("indicator_history", args=[indicator.pk])).content.decode())


def test_history_shows_labels_not_stored_values(setup):
    indicator = setup["indicator"]
    staff, auditor = as_user(setup["staff"]), as_user(setup["auditor"])
    save(staff, indicator, result="30")
    save(staff, indicator, version=1, submit=True, result="30")
    review(auditor, indicator, score="88")
    page = history_page(auditor, indicator)
    assert re.search(r'history-value">ฉบับร่าง</td>\s*<td class="history-value">ส่งแล้ว</td>', page)
    assert re.search(r'history-value">ส่งแล้ว</td>\s*<td class="history-value">ผ่านการตรวจ</td>', page)
    # Not a verification (False):
    assert re.search(r'history-value">–</td>\s*<td class="history-value">ไม่ใช่</td>', page)
    for raw in (">draft<", ">submitted<", ">accepted<", ">False<", ">True<"):
        assert raw not in page


def test_history_shows_the_words_changed_at_the_end_of_a_long_narrative(setup):
    indicator = setup["indicator"]
    staff = as_user(setup["staff"])
    opening = "ในไตรมาสนี้หน่วยงานได้ดำเนินการจัดอบรมเจ้าหน้าที่ครบทุกคน และได้ส่งรายงานให้สำนักงานเขต"
    save(staff, indicator, narrative=opening + "ภายในกำหนด")
    save(staff, indicator, version=1, narrative=opening + "ล่าช้ากว่ากำหนดสองวัน")
    page = history_page(as_user(setup["auditor"]), indicator)
    removed = re.findall(r'<del class="history-removed">(.*?)</del>', page)
    added = re.findall(r'<ins class="history-added">(.*?)</ins>', page)
    hidden = re.compile(r'<span class="visually-hidden">.*?</span>')
    assert [hidden.sub("", part) for part in removed] == ["ภายใน"]
    assert [hidden.sub("", part) for part in added] == ["ล่าช้ากว่า", "สองวัน"]
    assert "[ลบ: " in page and "[เพิ่ม: " in page  # said to screen readers too
    # The unchanged opening is cut to the words next to the change, on both sides.
    gap = r'<td class="history-value"><span class="text-muted" title="[^"]*">…</span>ได้ส่งรายงานให้สำนักงานเขต<'
    assert len(re.findall(gap, page)) == 2


def test_a_short_text_change_is_shown_whole(setup):
    indicator = setup["indicator"]
    staff = as_user(setup["staff"])
    save(staff, indicator, narrative="ส่งครบ")
    save(staff, indicator, version=1, narrative="ส่งครบแล้ว")
    page = history_page(as_user(setup["auditor"]), indicator)
    shown = r'history-value">ส่งครบ</td>\s*<td class="history-value">ส่งครบ<ins class="history-added">'
    assert re.search(shown, page)
