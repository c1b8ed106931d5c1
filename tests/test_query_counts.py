"""Every workflow page runs the same number of queries for little and for ten times more data."""

import pytest
from django.test import Client
from django.urls import reverse

from indicators.models import FiscalQuarter, Role
from reports.models import AuditScore, EvidenceFile, QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    def build(scale):
        year = make_fiscal_year(2570)
        for quarter in (1, 2, 3, 4):
            FiscalQuarter.objects.get_or_create(
                fiscal_year=year, quarter=quarter, defaults={"due_date": f"2099-0{quarter}-15"}
            )
        units = [make_unit() for _ in range(2 * scale)]
        staff = make_user(role=Role.UNIT_STAFF, units=units[:2])
        for unit in units:
            for _ in range(3):
                indicator = make_indicator(year, unit)
                for quarter in (1, 2):
                    report = make_report(indicator, quarter, "10", "รายงาน " * scale, status="submitted")
                    for index in range(scale):
                        EvidenceFile.objects.create(
                            report=report,
                            file=f"evidence/x{index}",
                            original_name=f"{index}.pdf",
                            content_type="application/pdf",
                            size=10,
                        )
                AuditScore.objects.create(indicator=indicator, quarter=1, score=90)
        first = units[0].indicators.first()
        for index in range(scale):
            report = QuarterReport.objects.get(indicator=first, quarter=1)
            report.narrative = f"แก้ไขครั้งที่ {index}"
            report.save()
        return {
            "indicator": first,
            "staff": staff,
            "auditor": make_user(role=Role.AUDITOR),
            "executive": make_user(role=Role.EXECUTIVE),
        }

    return build


# Every page starts with 3: session, user, the user's roles and units (one query);
# auditors and administrators 4: + the device that verified their second factor
# (django-otp checks it still exists on every request). The navigation adds 1: the
# count of unread notifications (NAV).
NAV = 1
PAGES = [
    # (user, url name, args, queries)
    # + fiscal year, its quarters, indicators, their reports
    ("staff", "home", lambda i: [], 7 + NAV),
    # + fiscal years, the figures' version (the cache key), the indicators per unit and
    # status of their reports (one query; none when cached: tests/reports/test_home_overview.py)
    ("executive", "home", lambda i: [], 6 + NAV),
    # + count, page, fiscal years, units
    ("auditor", "review_queue", lambda i: [], 7 + 1 + NAV),
    # + indicator, targets, reports, evidence, scores, fiscal quarters
    ("staff", "quarter_report", lambda i: [i.pk, 2], 9 + NAV),
    # + the sheet (indicator, targets, reports, scores, projects, data sets), evidence, fiscal quarter
    ("auditor", "quarter_review", lambda i: [i.pk, 1], 11 + 1 + NAV),
    # + indicator, then one history query per kind of record (6)
    ("auditor", "indicator_history", lambda i: [i.pk], 10 + 1 + NAV),
    # + fiscal years, figures per unit and strategy area (the 4 quarters in one query), the
    # strategy areas, the year's deadlines, the figures' version (the cache key; a cached
    # dashboard runs none of the figures' queries: tests/reports/test_dashboard_cache.py)
    ("executive", "dashboard", lambda i: [], 8 + NAV),
]


@pytest.mark.parametrize(("who", "name", "args", "queries"), PAGES)
@pytest.mark.parametrize("scale", [1, 10])
def test_page_queries_are_bounded(data, django_assert_num_queries, who, name, args, queries, scale):
    world = data(scale)
    client = Client()
    client.force_login(world[who])
    url = reverse(name, args=args(world["indicator"]))
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200


# The detail page, its sheet cached (reports/sheet_page.py; rendered afresh, the sheet's 6
# queries more: tests/reports/test_sheet.py): the 3 (or 4) every request starts with, the
# indicator with its unit, year and content tokens (the access query) and NAV; + the
# quarters' reports (statuses) for those who see the quarters' actions.
DETAIL_CACHED = [("executive", 3 + 1 + NAV), ("staff", 3 + 1 + 1 + NAV), ("auditor", 4 + 1 + 1 + NAV)]


@pytest.mark.parametrize(("who", "queries"), DETAIL_CACHED)
@pytest.mark.parametrize("scale", [1, 10])
def test_a_cached_detail_page_runs_no_sheet_query(data, django_assert_num_queries, who, queries, scale):
    world = data(scale)
    client = Client()
    client.force_login(world[who])
    url = reverse("indicator_detail", args=[world["indicator"].pk])
    first = client.get(url)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.content) == len(first.content)


# An autosave, every 3 s for everyone typing at quarter end: the 3 every request
# starts with, the quarter's report with its indicator (whose unit decides the right
# to report), then in a savepoint (2: the test runs in a transaction; in production,
# the transaction itself) the report's guarded UPDATE and the update of the typist's
# latest history row; + an INSERT when there is no such row to update.
AUTOSAVE_QUERIES = 3 + 1 + 2 + 2


@pytest.mark.parametrize("scale", [1, 10])
def test_autosave_and_submit_queries_are_bounded(data, django_assert_num_queries, scale):
    world = data(scale)
    client = Client()
    client.force_login(world["staff"])
    url = reverse("quarter_autosave", args=[world["indicator"].pk, 3])
    # The first autosave creates the report (and refreshes the new session).
    assert client.post(url, {"narrative": "ร่าง", "result": "1", "version": 0}).status_code == 200
    with django_assert_num_queries(AUTOSAVE_QUERIES + 1):  # the creation's history row stays
        response = client.post(url, {"narrative": "ร่าง ต่อ", "result": "2", "version": 1})
    assert response.json()["version"] == 2
    with django_assert_num_queries(AUTOSAVE_QUERIES):
        response = client.post(url, {"narrative": "ร่าง ต่ออีก", "result": "2", "version": 2})
    assert response.json()["version"] == 3
    # Submitting: the 3, the report with its indicator, then in three nested savepoints
    # (6) the report again, the quarter's deadline (late or not), the version claimed,
    # the report stored and its history row.
    with django_assert_num_queries(3 + 1 + 6 + 5):
        response = client.post(
            reverse("quarter_report", args=[world["indicator"].pk, 3]),
            {"narrative": "ฉบับส่ง", "result": "2", "version": 3, "submit": ""},
        )
    assert response.status_code == 302
    assert QuarterReport.objects.get(indicator=world["indicator"], quarter=3).status == "submitted"
