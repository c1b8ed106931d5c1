"""The role home pages."""

import pytest
from django.urls import reverse

from indicators.models import FiscalYear
from tests.factories import as_user
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
