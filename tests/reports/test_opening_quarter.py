"""Where the dashboard and the overview open: the latest quarter whose effective deadline
has passed (not one still open, which shows zeroes), with the choice to switch."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from indicators.models import FiscalQuarter, Role
from tests.factories import make_fiscal_year, make_user

pytestmark = pytest.mark.django_db
BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")
DEADLINES = {
    2569: {1: "2026-01-15", 2: "2026-04-15", 3: "2026-07-15", 4: "2026-10-15"},
    2570: {1: "2027-01-15", 2: "2027-04-15", 3: "2027-07-15", 4: "2027-10-15"},
}


@pytest.fixture
def years():
    for number, deadlines in DEADLINES.items():
        year = make_fiscal_year(number)
        for quarter, due in deadlines.items():
            FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=due)
    make_fiscal_year(2575)  # a year far ahead, without quarters, is never where pages open


def at(day: str, hour: int = 9):
    return time_machine.travel(
        datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BANGKOK), tick=False
    )


def opened_on(client, name, **query):
    client.force_login(client.reader)  # inside the travel: a session from another day may have ended
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    if name == "dashboard":
        return response.context["dashboard"].fiscal_year.year, response.context["dashboard"].quarter
    return response.context["fiscal_year"].year, response.context["quarter"]


@pytest.fixture(params=[Role.EXECUTIVE, Role.ADMINISTRATOR])
def reader(client, request):
    client.reader = make_user(role=request.param)
    return client


@pytest.mark.parametrize("page", ["dashboard", "home"])
@pytest.mark.parametrize(
    "day, expected",
    [
        ("2026-10-15", (2569, 3)),  # Q4's deadline day: not passed yet, Q3 is the latest due
        ("2026-10-16", (2569, 4)),  # the day after: Q4 of the year just ended
        ("2026-11-27", (2569, 4)),  # FY 2570 has begun, its Q1 is not due: still 2569 Q4
        ("2027-01-15", (2569, 4)),
        ("2027-01-16", (2570, 1)),
        ("2027-05-01", (2570, 2)),
    ],
)
def test_opens_on_the_latest_quarter_past_its_deadline(years, reader, page, day, expected):
    with at(day):
        assert opened_on(reader, page) == expected


def test_the_effective_deadline_counts(years, client):
    """Deadlines moved off a weekend: Q4 due Saturday 17 Oct counts from Monday 19 Oct."""
    year = make_fiscal_year(2569)
    year.move_due_date_to_working_day = True
    year.save()
    period = FiscalQuarter.objects.get(fiscal_year=year, quarter=4)
    period.due_date = datetime.date(2026, 10, 17)
    period.save()
    client.reader = make_user(role=Role.EXECUTIVE)
    with at("2026-10-19"):
        assert opened_on(client, "dashboard") == (2569, 3)
    with at("2026-10-20"):
        assert opened_on(client, "dashboard") == (2569, 4)


@pytest.mark.parametrize("page", ["dashboard", "home"])
def test_the_user_can_switch(years, reader, page):
    with at("2026-11-27"):
        assert opened_on(reader, page, year="2570", quarter="2") == (2570, 2)
        assert opened_on(reader, page, year="2569", quarter="1") == (2569, 1)
        # A year alone: its latest quarter past the deadline, else the one containing today.
        assert opened_on(reader, page, year="2569") == (2569, 4)
        assert opened_on(reader, page, year="2570") == (2570, 1)
        assert opened_on(reader, page, year="2575") == (2575, 1)
        # Nonsense is ignored, never an error.
        assert opened_on(reader, page, year="abc", quarter="9") == (2569, 4)


def test_the_form_shows_the_quarter_opened(years, reader):
    with at("2026-11-27"):
        reader.force_login(reader.reader)
        page = reader.get(reverse("dashboard")).content.decode()
    assert '<option value="2569" selected>' in page
    assert '<option value="4" selected>' in page


def test_without_any_deadline_passed_the_quarter_containing_today(client):
    year = make_fiscal_year(2570)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2027-01-15")
    client.reader = make_user(role=Role.EXECUTIVE)
    with at("2026-11-27"):
        assert opened_on(client, "dashboard") == (2570, 1)
