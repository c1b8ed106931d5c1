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
    assert "ฉบับแรก" in page and "ฉบับส่ง" in page and "ผู้ตรวจ" in page and "สมชาย" in page
    assert re.search(r"30\.00.*?31\.00", page, re.S)
