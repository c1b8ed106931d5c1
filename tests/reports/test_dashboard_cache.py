"""The dashboard's rendered figures are cached (per year, quarter, day, language and
version of the data): every change to what it counts shows on the next page, whichever
door made it, and nobody sees it without the right to."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from indicators.models import FiscalQuarter, Indicator, QuarterTarget, Role
from reports.models import FiguresVersion, QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_report, make_target, make_unit, make_user

pytestmark = pytest.mark.django_db
YEAR = 2568
URL = f"{reverse('dashboard')}?year={YEAR}&quarter=1"


@pytest.fixture
def world():
    year = make_fiscal_year(YEAR)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2099-01-15")
    unit = make_unit()
    indicators = [make_indicator(year, unit, annual_target="100") for _ in range(3)]
    for indicator in indicators:
        make_target(indicator, 1, "10")
    staff = make_user(role=Role.UNIT_STAFF, units=[unit])
    return {"indicators": indicators, "staff": staff, "executive": make_user(role=Role.EXECUTIVE)}


def city(client) -> dict:
    """The whole city's figures as the page shows them: {"on_track": 1, ...}."""
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    return {
        part: int(count)
        for part, count in re.findall(
            r'class="dash-stat dash-stat-(\w+)" href="[^"]*"><span class="dash-stat-value">(\d+)<', html
        )
    }


@pytest.fixture
def executive_client(client, world):
    client.force_login(world["executive"])
    return client


def test_a_submitted_report_counts_on_the_next_page(executive_client, world):
    assert city(executive_client) == {"on_track": 0, "behind": 0, "not_reported": 3, "late": 0}
    report = make_report(world["indicators"][0], 1, "5", "ร่าง")
    assert city(executive_client)["not_reported"] == 3  # a draft is not reported
    report.submit(by=world["staff"], result=report.result, narrative="รายงาน", version=report.version)
    assert city(executive_client) == {"on_track": 0, "behind": 1, "not_reported": 2, "late": 0}


def test_bulk_updates_and_targets_count_too(executive_client, world):
    first, second, _third = world["indicators"]
    make_report(first, 1, "12", status="submitted")
    make_report(second, 1, "12", status="submitted")
    assert city(executive_client) == {"on_track": 2, "behind": 0, "not_reported": 1, "late": 0}
    # Doors without save(): a bulk update of results, of targets, of lateness, of deadlines.
    QuarterReport.objects.filter(indicator=first).update(result="3")
    assert city(executive_client) == {"on_track": 1, "behind": 1, "not_reported": 1, "late": 0}
    QuarterTarget.objects.filter(indicator=second).update(target="50")
    assert city(executive_client) == {"on_track": 0, "behind": 2, "not_reported": 1, "late": 0}
    QuarterReport.objects.filter(indicator=first).update(is_late=True)
    assert city(executive_client) == {"on_track": 0, "behind": 2, "not_reported": 1, "late": 1}
    FiscalQuarter.objects.filter(quarter=1).update(due_date="2000-01-14", effective_due_date="2000-01-14")
    assert city(executive_client) == {"on_track": 0, "behind": 2, "not_reported": 1, "late": 2}
    Indicator.objects.filter(pk=first.pk).update(direction=Indicator.Direction.LOWER_IS_BETTER)
    assert city(executive_client) == {"on_track": 1, "behind": 1, "not_reported": 1, "late": 2}
    QuarterReport.objects.filter(indicator=second).delete()  # not reported and past the deadline: late
    assert city(executive_client) == {"on_track": 1, "behind": 0, "not_reported": 2, "late": 3}
    with connection.cursor() as cursor:  # even SQL behind the ORM's back
        cursor.execute(f"DELETE FROM {QuarterReport._meta.db_table}")
    assert city(executive_client) == {"on_track": 0, "behind": 0, "not_reported": 3, "late": 3}


def test_autosaving_a_narrative_changes_no_figure_version(world):
    report = make_report(world["indicators"][0], 1, "5", "ร่าง")
    before = FiguresVersion.current()
    report.save_draft(by=world["staff"], result=report.result, narrative="ร่าง ยาวขึ้น", version=report.version)
    assert FiguresVersion.current() == before
    report.refresh_from_db()
    report.save_draft(by=world["staff"], result="6", narrative="ร่าง ยาวขึ้น", version=report.version)
    assert FiguresVersion.current() > before


def test_a_cached_page_runs_fewer_queries(executive_client, world, django_assert_num_queries):
    make_report(world["indicators"][0], 1, "12", status="submitted")
    executive_client.get(URL)
    # session, user, roles and units in one query (who may read what), fiscal years, figures version,
    # unread notifications: no figure is computed again (3 more when it is).
    with django_assert_num_queries(6):
        assert city(executive_client)["on_track"] == 1


def test_each_language_has_its_own_page(executive_client, world):
    thai = executive_client.get(URL).content.decode()
    executive_client.cookies["django_language"] = "en"
    english = executive_client.get(URL).content.decode()
    assert "แดชบอร์ด" in thai or "ภาพรวม" in thai
    assert "Performance dashboard" in english
    assert "Performance dashboard" not in thai


def test_a_cached_page_is_still_refused_to_those_who_may_not_read_everything(client, world):
    client.force_login(world["executive"])
    assert client.get(URL).status_code == 200
    client.force_login(world["staff"])
    assert client.get(URL).status_code == 403
