from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from indicators.models import FiscalQuarter, Indicator, StrategyNode
from reports.models import AnnualSummary, AuditScore, QuarterReport
from tests.factories import (
    make_fiscal_year,
    make_indicator,
    make_report,
    make_score,
    make_strategy_path,
    make_target,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db


def violates(constraint_name, create):
    """Assert that ``create()`` is refused by the database constraint of that name."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        create()
    message = str(error.value)
    # PostgreSQL names every constraint; SQLite names CHECKs and partial unique indexes,
    # and lists the columns for plain unique constraints.
    if connection.vendor == "postgresql" or "CHECK" in message or "index" in message:
        assert constraint_name in message
    else:
        assert "UNIQUE" in message


def test_indicator_is_unique_per_fiscal_year_unit_and_code():
    indicator = make_indicator(code="0685")
    violates(
        "unique_indicator_per_year_unit_code",
        lambda: make_indicator(fiscal_year=indicator.fiscal_year, org_unit=indicator.org_unit, code="0685"),
    )
    # The same code is fine in another year or another unit.
    make_indicator(fiscal_year=make_fiscal_year(2569), org_unit=indicator.org_unit, code="0685")
    make_indicator(fiscal_year=indicator.fiscal_year, org_unit=make_unit(), code="0685")
    assert Indicator.objects.filter(code="0685").count() == 3


@pytest.mark.parametrize("quarter", [0, 5])
def test_quarter_outside_1_to_4_is_refused_everywhere(quarter):
    indicator = make_indicator()
    violates("target_quarter_in_1_4", lambda: make_target(indicator, quarter, 10))
    violates("report_quarter_in_1_4", lambda: make_report(indicator, quarter, 10))
    violates("score_quarter_in_1_4", lambda: make_score(indicator, quarter, 10))
    violates(
        "fiscal_quarter_in_1_4",
        lambda: FiscalQuarter.objects.create(
            fiscal_year=indicator.fiscal_year, quarter=quarter, due_date="2025-01-15"
        ),
    )


def test_one_target_report_and_score_per_quarter():
    indicator = make_indicator()
    make_target(indicator, 1, 25)
    make_report(indicator, 1, 20)
    make_score(indicator, 1, 100)
    violates("unique_target_per_quarter", lambda: make_target(indicator, 1, 30))
    violates("unique_report_per_quarter", lambda: make_report(indicator, 1, 30))
    violates("unique_score_per_quarter", lambda: make_score(indicator, 1, 90))


@pytest.mark.parametrize("field", ["score", "criterion_1", "criterion_2"])
@pytest.mark.parametrize("value", ["-1", "100.01"])
def test_scores_outside_0_to_100_are_refused(field, value):
    indicator = make_indicator()
    violates(f"{field}_in_0_100", lambda: make_score(indicator, 1, **{field: value}))


def test_scores_at_the_bounds_and_missing_are_accepted():
    indicator = make_indicator()
    make_score(indicator, 1, "0", "100", "0")
    make_score(indicator, 2)  # not yet evaluated: all empty
    assert AuditScore.objects.filter(indicator=indicator).count() == 2


def test_negative_result_is_refused():
    indicator = make_indicator()
    violates("report_result_not_negative", lambda: make_report(indicator, 1, "-0.01"))


def test_only_one_verification_per_indicator():
    indicator = make_indicator()
    make_score(indicator, 1, 100, is_verification=True)
    violates("one_verification_per_indicator", lambda: make_score(indicator, 3, 90, is_verification=True))
    make_score(indicator, 4, 90, is_verification=False)


def test_strategy_levels_and_roots():
    leaf = make_strategy_path()
    assert [node.code for node in leaf.path()] == ["1", "1.1", "1.1.1", "1.1.1.1"]
    violates(
        "strategy_level_in_1_4",
        lambda: StrategyNode.objects.create(code="1.1.1.1.1", title="x", parent=leaf, level=5),
    )
    violates(
        "strategy_root_has_no_parent",
        lambda: StrategyNode.objects.create(code="9.9", title="x", parent=None, level=2),
    )


def test_numbers_are_decimals():
    indicator = make_indicator(annual_target=Decimal("53.14"))
    make_report(indicator, 1, "10.10")
    indicator.refresh_from_db()
    report = QuarterReport.objects.get(indicator=indicator)
    assert indicator.annual_target == Decimal("53.14")
    assert isinstance(report.result, Decimal)
    assert report.result == Decimal("10.10")


def test_changes_keep_history_with_user_old_and_new_values():
    user = make_user("editor")
    indicator = make_indicator()
    target = make_target(indicator, 1, 25)
    report = make_report(indicator, 1, 20, narrative="ฉบับแรก")
    score = make_score(indicator, 1, 80)
    summary = AnnualSummary.objects.create(indicator=indicator, text="สรุปเดิม")
    for obj, field, new in (
        (target, "target", Decimal(30)),
        (report, "narrative", "ฉบับแก้ไข"),
        (score, "score", Decimal(90)),
        (summary, "text", "สรุปใหม่"),
    ):
        obj._history_user = user
        setattr(obj, field, new)
        obj.save()
        latest, previous = obj.history.all()[:2]
        assert latest.history_user == user
        assert latest.history_type == "~"
        delta = latest.diff_against(previous)
        assert [(c.field, c.new) for c in delta.changes] == [(field, new)]
        assert delta.changes[0].old != new


# --- the unit-of-measure rules (Indicator.check_result) -----------------------------------------


@pytest.mark.parametrize(
    ("unit", "result", "code"),
    [
        ("ระดับ", "6", "above_maximum"),
        ("ระดับ", "2.5", "not_whole"),
        ("จำนวน", "12.5", "not_whole"),
        ("ครั้ง", "0.01", "not_whole"),
        ("ราย", "3.10", "not_whole"),
    ],
)
def test_results_that_the_unit_of_measure_refuses(unit, result, code):
    with pytest.raises(ValidationError) as refused:
        make_indicator(unit_of_measure=unit).check_result(Decimal(result))
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("unit", "result"),
    [
        ("ระดับ", "5"),
        ("ระดับ", "0"),
        ("จำนวน", "1250"),
        ("ร้อยละ", "150.55"),
        ("บาท", "1500000.50"),
        ("วัน", "2.5"),
    ],
)
def test_results_that_the_unit_of_measure_allows(unit, result):
    make_indicator(unit_of_measure=unit).check_result(Decimal(result))  # no error


# --- locks (FiscalQuarter.lock / unlock) --------------------------------------------------------


def test_a_lock_records_who_and_when_and_an_unlock_clears_them():
    year = make_fiscal_year(2568)
    quarter = FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2025-01-15")
    admin = make_user("lock_admin")
    assert quarter.lock(admin) is True and quarter.is_locked and quarter.locked_by == admin
    assert quarter.unlock(admin) is True and not quarter.is_locked and quarter.locked_by is None
    assert quarter.unlock(admin) is False
