"""indicators.bulk writes the same rows and history as simple-history's own bulk helpers
(which it replaces in the imports for speed): compared row by row, on both databases."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from simple_history import utils as library

from indicators import bulk
from indicators.models import Indicator
from reports.models import QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_unit_of_measure, make_user

pytestmark = pytest.mark.django_db

SKIPPED = {"id", "indicator_id", "updated_at", "history_id", "history_date"}  # keys and clocks differ


def reports(indicator, **extra) -> list[QuarterReport]:
    return [
        QuarterReport(
            indicator_id=indicator.pk,
            quarter=quarter,
            result=None if quarter == 4 else Decimal("12.5") * quarter,
            narrative=f"ไตรมาสที่ {quarter}: ดำเนินการตามแผน",
            status=QuarterReport.Status.ACCEPTED,
            is_migrated=quarter % 2 == 0,
            **extra,
        )
        for quarter in (1, 2, 3, 4)
    ]


def values(queryset) -> list[dict]:
    return [
        {name: value for name, value in row.items() if name not in SKIPPED}
        for row in queryset.order_by("quarter").values()
    ]


def test_created_rows_and_their_history_are_the_librarys():
    ours, theirs = make_indicator(), make_indicator()
    user = make_user()
    created = bulk.bulk_create_with_history(
        reports(ours), QuarterReport, batch_size=3, default_user=user, default_change_reason="import a.xlsx"
    )
    library.bulk_create_with_history(
        reports(theirs), QuarterReport, batch_size=3, default_user=user, default_change_reason="import a.xlsx"
    )
    assert [report.pk for report in created] == list(
        QuarterReport.objects.filter(indicator=ours).order_by("quarter").values_list("pk", flat=True)
    )
    assert all(not report._state.adding for report in created)
    assert values(QuarterReport.objects.filter(indicator=ours)) == values(
        QuarterReport.objects.filter(indicator=theirs)
    )
    mine = values(QuarterReport.history.filter(indicator=ours))
    assert mine == values(QuarterReport.history.filter(indicator=theirs))
    assert [(row["history_type"], row["history_user_id"], row["history_change_reason"]) for row in mine] == [
        ("+", user.pk, "import a.xlsx")
    ] * 4
    assert [row["result"] for row in mine] == [Decimal("12.50"), Decimal("25.00"), Decimal("37.50"), None]
    history = QuarterReport.history.filter(indicator=ours).order_by("quarter")
    assert [h.id for h in history] == [report.pk for report in created]
    now = datetime.datetime.now(datetime.UTC)
    assert all(abs(h.history_date - now) < datetime.timedelta(minutes=5) for h in history)
    assert all(abs(r.updated_at - now) < datetime.timedelta(minutes=5) for r in created)  # auto_now


def test_updated_rows_are_recorded_as_changes_with_the_objects_own_reason():
    indicator = make_indicator()
    created = bulk.bulk_create_with_history(reports(indicator), QuarterReport, default_change_reason="first")
    for report in created:
        report.narrative = "แก้ไขแล้ว"
    created[0]._change_reason = "by hand"
    assert (
        bulk.bulk_update_with_history(created, QuarterReport, ["narrative"], default_change_reason="again")
        == 4
    )
    changes = QuarterReport.history.filter(history_type="~").order_by("quarter")
    assert [(h.narrative, h.history_change_reason, h.history_user) for h in changes] == [
        ("แก้ไขแล้ว", "by hand", None),
        ("แก้ไขแล้ว", "again", None),
        ("แก้ไขแล้ว", "again", None),
        ("แก้ไขแล้ว", "again", None),
    ]
    assert set(QuarterReport.objects.values_list("narrative", flat=True)) == {"แก้ไขแล้ว"}


def test_indicators_link_their_unit_of_measure_by_name_in_rows_and_history():
    year, unit = make_fiscal_year(2590), make_unit()
    new = [
        Indicator(
            fiscal_year=year,
            org_unit=unit,
            code=f"{n:04d}",
            sequence=n,
            name=f"ตัวชี้วัด {n}",
            annual_target=Decimal("4.75"),
            unit_of_measure=make_unit_of_measure("ร้อยละ"),
            indicator_type=Indicator.Type.ROUTINE,
        )
        for n in (1, 2)
    ]
    with CaptureQueriesContext(connection) as queries:
        bulk.bulk_create_with_history(new, Indicator, default_change_reason="import b.xlsx")
    assert len(queries) <= 4  # the INSERT of the rows, the history's, and at most a savepoint pair
    assert list(Indicator.objects.filter(fiscal_year=year).values_list("code", "unit_of_measure_id")) == [
        ("0001", "ร้อยละ"),
        ("0002", "ร้อยละ"),
    ]
    assert sorted(
        Indicator.history.filter(fiscal_year=year).values_list("code", "annual_target", "unit_of_measure_id")
    ) == [("0001", Decimal("4.75"), "ร้อยละ"), ("0002", Decimal("4.75"), "ร้อยละ")]
