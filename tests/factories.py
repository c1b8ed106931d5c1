"""Small factories for tests: ``make_*`` functions with sensible defaults."""

import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from indicators.models import (
    STANDARD_UNITS,
    FiscalYear,
    Indicator,
    OrgUnit,
    QuarterTarget,
    Role,
    StrategyNode,
    UnitMembership,
    UnitOfMeasure,
    standard_units_of_measure,
)
from reports.models import AuditScore, QuarterReport

_counter = itertools.count(1)


def make_fiscal_year(year=2568, **fields) -> FiscalYear:
    return FiscalYear.objects.get_or_create(year=year, defaults=fields)[0]


def make_unit(code=None, name=None, **fields) -> OrgUnit:
    number = next(_counter)
    fields.setdefault("kind", OrgUnit.Kind.DISTRICT)
    return OrgUnit.objects.create(
        code=code or f"9{number:03d}", name=name or f"สำนักงานเขตทดสอบ {number}", **fields
    )


def make_strategy_path(codes=("1", "1.1", "1.1.1", "1.1.1.1")) -> StrategyNode:
    parent = None
    for level, code in enumerate(codes, start=1):
        parent, _ = StrategyNode.objects.get_or_create(
            code=code, defaults={"title": f"ยุทธศาสตร์ {code}", "parent": parent, "level": level}
        )
    return parent


def make_unit_of_measure(name: str, **rules) -> UnitOfMeasure:
    """The unit named ``name``: one of the eight standard units (their rules, re-added
    when a transactional test emptied the table), else created with ``rules``."""
    if name in STANDARD_UNITS:
        return standard_units_of_measure()[name]
    return UnitOfMeasure.objects.get_or_create(name=name, defaults=rules)[0]


def make_indicator(fiscal_year=None, org_unit=None, **fields) -> Indicator:
    number = next(_counter)
    fields.setdefault("code", f"{number:04d}")
    fields.setdefault("sequence", number)
    fields.setdefault("name", f"ร้อยละความสำเร็จของตัวชี้วัดทดสอบ {number}")
    fields.setdefault("annual_target", Decimal(100))
    fields.setdefault("unit_of_measure", "ร้อยละ")
    if isinstance(fields["unit_of_measure"], str):
        fields["unit_of_measure"] = make_unit_of_measure(fields["unit_of_measure"])
    fields.setdefault("indicator_type", Indicator.Type.ROUTINE)
    return Indicator.objects.create(
        fiscal_year=fiscal_year or make_fiscal_year(), org_unit=org_unit or make_unit(), **fields
    )


def make_target(indicator, quarter, target) -> QuarterTarget:
    return QuarterTarget.objects.create(indicator=indicator, quarter=quarter, target=Decimal(target))


def make_report(indicator, quarter, result=None, narrative="", **fields) -> QuarterReport:
    return QuarterReport.objects.create(
        indicator=indicator,
        quarter=quarter,
        result=None if result is None else Decimal(result),
        narrative=narrative,
        **fields,
    )


def make_score(indicator, quarter, score=None, criterion_1=None, criterion_2=None, **fields) -> AuditScore:
    def dec(value):
        return None if value is None else Decimal(value)

    return AuditScore.objects.create(
        indicator=indicator,
        quarter=quarter,
        score=dec(score),
        criterion_1=dec(criterion_1),
        criterion_2=dec(criterion_2),
        **fields,
    )


def make_user(username=None, role=Role.UNIT_STAFF, units=(), password="pass", **fields):
    username = username or f"user{next(_counter)}"
    user = get_user_model().objects.create_user(username=username, password=password, **fields)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for unit in units:
        UnitMembership.objects.create(user=user, org_unit=unit)
    return user


def as_user(user) -> Client:
    """A test client signed in as ``user`` (second factor included: tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    return client
