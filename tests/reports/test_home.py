"""The role home pages."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import FiscalQuarter, FiscalYear
from tests.factories import as_user, make_report
from tests.reports.reporting import entry_url

pytestmark = pytest.mark.django_db


def test_staff_home_shows_their_quarters_and_what_is_late(setup):
    period = setup["periods"][1]
    period.due_date = "2020-01-15"
    period.save()

    FiscalYear.objects.filter(pk=setup["indicator"].fiscal_year_id).update(year=2570)
    page = as_user(setup["staff"]).get(reverse("home")).content.decode()
    assert setup["indicator"].name in page
    assert entry_url(setup["indicator"], 1) in page


def test_staff_home_marks_overdue_only_what_the_unit_still_has_to_report(setup):
    # Quarters 1-3 past their deadline: 1 not started, 2 submitted, 3 locked; 4 not due.
    indicator, periods = setup["indicator"], setup["periods"]
    for quarter in (1, 2, 3):
        periods[quarter].due_date = f"2020-0{quarter}-15"
        periods[quarter].save()
    FiscalQuarter.objects.filter(pk=periods[3].pk).update(locked_at=timezone.now())
    make_report(indicator, 2, "5", status="submitted")
    FiscalYear.objects.filter(pk=indicator.fiscal_year_id).update(year=2570)
    page = as_user(setup["staff"]).get(reverse("home")).content.decode()
    # Wider screens: the table's cells; phones: the list's buttons. Each links to its quarter.
    cells = re.findall(r'<td class="text-center text-nowrap">(.*?)</td>', page, re.S)
    buttons = re.findall(r'<a href="[^"]*" class="btn btn-sm btn-outline[^"]*">.*?</a>', page, re.S)
    for shown in (cells, buttons):
        assert ["เกินกำหนด" in cell for cell in shown] == [True, False, False, False]
        assert [entry_url(indicator, quarter) in cell for quarter, cell in enumerate(shown, 1)] == [True] * 4
        assert ["ยังไม่เริ่ม" in cell for cell in shown] == [True, False, True, True]
        assert "status-submitted" in shown[1]
