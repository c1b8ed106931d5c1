from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from indicators.models import FiscalYear, Indicator, OrgUnit, QuarterTarget, Role
from reports.demo import seed_sheet
from reports.demo.generate import DEMO_PASSWORD, DEMO_USERS
from reports.models import AuditScore, QuarterReport

pytestmark = pytest.mark.django_db


def seed():
    return Indicator.objects.select_related("fiscal_year", "org_unit", "strategy_node").get(
        fiscal_year__year=2560, org_unit__code="5016", code="0685"
    )


def test_the_seed_indicator_is_exactly_as_on_its_sheet():
    call_command("seed_demo", units=2, per_unit=2, years=1, stdout=None)
    indicator = seed()
    assert indicator.sequence == 26
    assert indicator.agreement_ref == "3.2"
    assert indicator.name == "ร้อยละความสำเร็จของการดำเนินโครงการให้บริการที่ดีที่สุด (Best Service)"
    assert indicator.annual_target == Decimal(100)
    assert indicator.unit_of_measure == Indicator.UnitOfMeasure.PERCENT
    assert indicator.indicator_type == Indicator.Type.ROUTINE
    assert indicator.result_level == Indicator.ResultLevel.OUTPUT
    assert indicator.org_unit.kind == OrgUnit.Kind.DISTRICT
    assert indicator.definition.startswith("1. การรักษาหรือคงไว้หรือพัฒนาโครงการ")
    assert "ทั้งนี้ขึน้อยู่กับ" in indicator.definition  # the old system's artefact, kept verbatim
    assert indicator.calculation_method == (
        "ประเมินผลสำเร็จโครงการตามตัวชี้วัดของลักษณะการให้บริการและตัวชี้วัดที่กำหนดไว้ในโครงการ"
    )

    reports = QuarterReport.objects.filter(indicator=indicator).order_by("quarter")
    assert [r.result for r in reports] == [Decimal(v) for v in ("30.00", "60.00", "75.00", "100.00")]
    assert [r.narrative for r in reports] == list(seed_sheet.NARRATIVES)
    assert reports[0].narrative.startswith("โครงการที่จะรักษารอบ ดำเนินการดังนี้")

    scores = AuditScore.objects.filter(indicator=indicator).order_by("quarter")
    assert [s.score for s in scores] == [Decimal(100)] * 4
    assert [(s.criterion_1, s.criterion_2) for s in scores] == [(Decimal(100), Decimal(100))] * 3 + [
        (None, None)
    ]
    assert [s.quarter for s in scores if s.is_verification] == [1]

    assert not QuarterTarget.objects.filter(indicator=indicator).exists()

    path = indicator.strategy_node.path()
    assert [n.code for n in path] == ["7", "7.3", "7.3.1", "7.3.1.1"]
    assert path[0].title == "การบริหารจัดการเมืองมหานคร : Management Strategy"
    assert path[2].title.endswith("และเป็นที่เชื่%")


def test_seed_demo_is_idempotent():
    call_command("seed_demo", units=3, per_unit=4, years=2)
    counts = [model.objects.count() for model in (Indicator, QuarterReport, AuditScore, QuarterTarget)]
    call_command("seed_demo", units=3, per_unit=4, years=2)
    assert [
        model.objects.count() for model in (Indicator, QuarterReport, AuditScore, QuarterTarget)
    ] == counts
    assert counts[0] == 1 + 3 * 4 * 2


def test_generated_data_is_realistic():
    call_command("seed_demo", units=4, per_unit=10, years=3)
    generated = Indicator.objects.exclude(fiscal_year__year=2560)
    assert generated.count() == 4 * 10 * 3
    assert FiscalYear.objects.count() == 4
    assert len(set(generated.values_list("unit_of_measure", flat=True))) >= 3
    # Every generated indicator has four planned targets; some quarters are not
    # reported or scored yet.
    assert QuarterTarget.objects.filter(indicator__in=generated).count() == 4 * generated.count()
    reported = QuarterReport.objects.filter(indicator__in=generated, result__isnull=False).count()
    scored = AuditScore.objects.filter(indicator__in=generated).count()
    assert 0 < scored < reported < 4 * generated.count()
    narratives = QuarterReport.objects.filter(indicator__in=generated, status="accepted")
    assert min(len(r.narrative) for r in narratives) > 300
    assert all("\u0e00" <= ch <= "\u0e7f" for ch in generated.first().name[:5])


def test_larger_counts_extend_the_data_set_without_duplicates():
    call_command("seed_demo", units=2, per_unit=3, years=1)
    call_command("seed_demo", units=3, per_unit=5, years=1)
    assert Indicator.objects.exclude(fiscal_year__year=2560).count() == 3 * 5


def test_dry_run_writes_nothing():
    call_command("seed_demo", units=2, per_unit=2, years=1, dry_run=True)
    assert not Indicator.objects.exists()


def test_if_empty_leaves_an_existing_database_alone():
    call_command("seed_demo", units=1, per_unit=1, years=1)
    before = Indicator.objects.count()
    call_command("seed_demo", units=5, per_unit=5, years=1, if_empty=True)
    assert Indicator.objects.count() == before


def test_one_demo_account_per_role():
    call_command("seed_demo", units=2, per_unit=1, years=1)
    for username, role, *_ in DEMO_USERS:
        user = authenticate(RequestFactory().post("/"), username=username, password=DEMO_PASSWORD)
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [role]
    staff = authenticate(RequestFactory().post("/"), username="staff", password=DEMO_PASSWORD)
    assert "5016" in staff.unit_memberships.values_list("org_unit__code", flat=True)
    admin = authenticate(RequestFactory().post("/"), username="admin", password=DEMO_PASSWORD)
    assert admin.is_superuser and Role.ADMINISTRATOR in admin.groups.values_list("name", flat=True)
