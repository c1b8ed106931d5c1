"""The effective deadline (indicators/calendar.py, FiscalQuarter.effective_due_date) in
what is written and shown: late submissions, the late figure, the pages."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from indicators.models import FiscalQuarter, Indicator, Role
from reports import services
from reports.progress import with_quarter_progress
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def songkran_quarter(db):
    """Q2 of 2569 due Wednesday 15 April 2026, the last day of Songkran."""

    def build(move):
        year = make_fiscal_year(2569, move_due_date_to_working_day=move)
        FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date=D(2026, 4, 15))
        unit = make_unit("5016")
        staff = make_user("somsri", Role.UNIT_STAFF, [unit])
        return make_indicator(year, unit), staff

    return build


@pytest.mark.parametrize(("move", "late"), [(True, False), (False, True)])
def test_lateness_counts_from_the_effective_deadline(songkran_quarter, move, late):

    indicator, staff = songkran_quarter(move)
    thursday = D(2026, 4, 16)
    # The dashboard and the list: not reported on Thursday 16 is late only if the deadline stayed.
    annotated = with_quarter_progress(Indicator.objects.all(), 2, today=thursday).get(pk=indicator.pk)
    assert annotated.quarter_late is late
    with time_machine.travel(datetime.datetime(2026, 4, 16, 16, tzinfo=ZoneInfo("Asia/Bangkok")), tick=False):
        report = services.save_report(
            indicator, 2, staff, result=None, narrative="ผลการดำเนินงาน", version=0, submit=True
        )
    assert report.is_late is late


@pytest.mark.parametrize("move", [True, False])
def test_the_pages_show_the_effective_deadline(songkran_quarter, client, move):

    indicator, staff = songkran_quarter(move)
    client.force_login(staff)
    with time_machine.travel(datetime.datetime(2026, 4, 10, 9, tzinfo=ZoneInfo("Asia/Bangkok")), tick=False):
        pages = [client.get(reverse("home")), client.get(reverse("quarter_report", args=[indicator.pk, 2]))]
    for page in pages:
        text = " ".join(re.sub(r"<[^>]+>", "", page.text).split())
        if move:
            assert "16 เมษายน 2569 (เลื่อนจากวันที่ 15 เมษายน 2569 ซึ่งเป็นวันหยุด)" in text
        else:
            assert "15 เมษายน 2569" in text and "เลื่อนจาก" not in text
