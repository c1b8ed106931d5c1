"""Demo data: the seed indicator exactly as on its sheet, generated indicators at
realistic scale with their quarters' reports and scores, and one account per role.
Every function is idempotent.

Reports and scores are written in bulk, as data migrated from the old system would
be (no users, no history): a fiscal year of 70 units takes seconds, not minutes. Their
results follow the indicators' unit-of-measure rules (``Indicator.check_result``)."""

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from indicators import thai
from indicators.models import (
    QUARTERS,
    CityDataSet,
    FiscalQuarter,
    FiscalYear,
    Indicator,
    OrgUnit,
    QuarterTarget,
    Role,
    StrategyNode,
    SupportingProject,
    UnitMembership,
)
from reports.demo import pools, seed_sheet
from reports.models import AnnualSummary, AuditScore, QuarterReport

SEED_YEAR = 2560
SEED_UNIT = ("5016", "สำนักงานเขตธนบุรี")
STAFF_UNIT_CODES = (SEED_UNIT[0], "5001")
DEMO_PASSWORD = "kpi-demo-only"
DEMO_USERS = (
    ("staff", Role.UNIT_STAFF, "สมชาย", "ใจดี"),
    ("auditor", Role.AUDITOR, "สมหญิง", "ตรวจการ"),
    ("executive", Role.EXECUTIVE, "ประเสริฐ", "บริหารดี"),
    ("admin", Role.ADMINISTRATOR, "ผู้ดูแล", "ระบบ"),
)
TWO_PLACES = Decimal("0.01")
BATCH = 2000


def ensure_fiscal_year(year: int) -> FiscalYear:
    fiscal_year, _ = FiscalYear.objects.get_or_create(year=year)
    for quarter in QUARTERS:
        due = thai.quarter_end(year, quarter) + datetime.timedelta(days=15)
        FiscalQuarter.objects.get_or_create(
            fiscal_year=fiscal_year, quarter=quarter, defaults={"due_date": due}
        )
    return fiscal_year


def ensure_strategy_path(path) -> StrategyNode:
    parent = None
    for level, (code, title) in enumerate(path, start=1):
        parent, _ = StrategyNode.objects.get_or_create(
            code=code, defaults={"title": title, "parent": parent, "level": level}
        )
    return parent


@transaction.atomic
def seed_indicator() -> Indicator:
    """The indicator of seed sheet 000_2dc794069d1136f5, exactly as on the sheet."""
    fiscal_year = ensure_fiscal_year(SEED_YEAR)
    FiscalQuarter.objects.filter(fiscal_year=fiscal_year).update(locked_at=timezone.now())
    unit, _ = OrgUnit.objects.get_or_create(
        code=SEED_UNIT[0], defaults={"name": SEED_UNIT[1], "kind": OrgUnit.Kind.DISTRICT}
    )
    node = ensure_strategy_path(seed_sheet.STRATEGY_PATH)
    indicator, _ = Indicator.objects.update_or_create(
        fiscal_year=fiscal_year,
        org_unit=unit,
        code="0685",
        defaults={
            "sequence": 26,
            "agreement_ref": "3.2",
            "name": seed_sheet.NAME,
            "annual_target": Decimal(100),
            "unit_of_measure": Indicator.UnitOfMeasure.PERCENT,
            "indicator_type": Indicator.Type.ROUTINE,
            "result_level": Indicator.ResultLevel.OUTPUT,
            "direction": Indicator.Direction.HIGHER_IS_BETTER,
            "is_cumulative": True,
            "definition": seed_sheet.DEFINITION,
            "calculation_method": seed_sheet.CALCULATION_METHOD,
            "data_source": "",
            "strategy_node": node,
        },
    )
    results = ("30.00", "60.00", "75.00", "100.00")
    for quarter, (result, narrative) in enumerate(zip(results, seed_sheet.NARRATIVES, strict=True), start=1):
        QuarterReport.objects.update_or_create(
            indicator=indicator,
            quarter=quarter,
            defaults={
                "result": Decimal(result),
                "narrative": narrative,
                "status": QuarterReport.Status.ACCEPTED,
            },
        )
        evaluated = quarter < 4
        AuditScore.objects.update_or_create(
            indicator=indicator,
            quarter=quarter,
            defaults={
                "score": Decimal(100),
                "criterion_1": Decimal(100) if evaluated else None,
                "criterion_2": Decimal(100) if evaluated else None,
                "is_verification": quarter == 1,
            },
        )
    return indicator


def ensure_demo_users() -> None:
    """One account per role; the staff account belongs to the seed's district and one more."""
    units = OrgUnit.objects.filter(code__in=STAFF_UNIT_CODES)
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    User = get_user_model()
    for username, role, first_name, last_name in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": role == Role.ADMINISTRATOR,
                "is_superuser": role == Role.ADMINISTRATOR,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(groups[role])
        if role == Role.UNIT_STAFF:
            for unit in units:
                UnitMembership.objects.get_or_create(user=user, org_unit=unit)


def unit_specs(count: int):
    """(code, name, kind) of ``count`` units: the seed's district first."""
    specs = [(SEED_UNIT[0], SEED_UNIT[1], OrgUnit.Kind.DISTRICT)]
    district_codes = (code for code in range(5001, 5100) if code != int(SEED_UNIT[0]))
    for name, code in zip(pools.DISTRICTS, district_codes, strict=False):
        specs.append((str(code), f"สำนักงานเขต{name}", OrgUnit.Kind.DISTRICT))
    for number, name in enumerate(pools.DEPARTMENTS, start=1):
        specs.append((f"{number * 100:04d}", name, OrgUnit.Kind.DEPARTMENT))
    number = len(pools.DEPARTMENTS)
    while len(specs) < count:
        number += 1
        specs.append((f"{number * 100:04d}", f"หน่วยงานสาธิต {number}", OrgUnit.Kind.DEPARTMENT))
    return specs[:count]


def ensure_units(count: int) -> list[OrgUnit]:
    units = []
    for code, name, kind in unit_specs(count):
        unit, _ = OrgUnit.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
        units.append(unit)
    return units


def ensure_strategy_tree() -> list[StrategyNode]:
    """The generated 4-level tree (the seed's path included); returns its leaves."""
    leaves = []
    for area_code, area_title in pools.STRATEGY_AREAS:
        for goal_index, goal in enumerate(pools.STRATEGY_GOALS[:3], start=1):
            for target_index, target in enumerate(pools.STRATEGY_TARGETS[:2], start=1):
                for measure_index, measure in enumerate(pools.STRATEGY_MEASURES[:2], start=1):
                    code = f"{area_code}.{goal_index}.{target_index}"
                    leaves.append(
                        ensure_strategy_path(
                            [
                                (area_code, area_title),
                                (f"{area_code}.{goal_index}", goal),
                                (code, target),
                                (f"{code}.{measure_index}", measure),
                            ]
                        )
                    )
    return leaves


def ensure_city_data_sets() -> list[CityDataSet]:
    return [
        CityDataSet.objects.get_or_create(code=code, defaults={"name": name, "source": source})[0]
        for code, name, source in pools.CITY_DATA_SETS
    ]


def current_fiscal_year(today: datetime.date | None = None) -> int:
    return thai.fiscal_year_of(today or timezone.localdate())


def narrative(rng: random.Random, year: int, quarter: int) -> str:
    months = [thai.THAI_MONTHS[(9 + 3 * (quarter - 1) + i) % 12] for i in range(3)]
    parts = []
    for month in months:
        opening = rng.choice(pools.NARRATIVE_OPENINGS).format(month=month, year=year)
        steps = rng.sample(pools.NARRATIVE_STEPS, rng.randint(3, 7))
        numbered = " ".join(f"{i}.{step}" for i, step in enumerate(steps, start=1))
        parts.append(f"{opening} ดังนี้ {numbered}")
    return " ".join(parts)


def demo_result(indicator: Indicator, target: Decimal, rng: random.Random) -> Decimal:
    """A plausible result near ``target`` that its unit of measure allows (Indicator's
    rules): whole numbers where the unit counts things, levels within 1-5, percentages
    of completion rarely above 100."""
    result = target * Decimal(rng.uniform(0.8, 1.15))
    if indicator.result_maximum is not None:
        result = min(result, indicator.result_maximum)
    return result.quantize(Decimal(1) if indicator.counts_whole_things else TWO_PLACES)


def quarter_targets(annual: Decimal, cumulative: bool, whole: bool = False) -> list[Decimal]:
    if not cumulative:
        return [annual] * 4
    step = Decimal(1) if whole else TWO_PLACES
    return [
        (annual * share).quantize(step, rounding=ROUND_HALF_UP)
        for share in (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))
    ]


def generate(units_count: int, per_unit: int, years: int, today: datetime.date | None = None) -> int:
    """Create what is missing of the generated data set; returns indicators created."""
    current = current_fiscal_year(today)
    today = today or timezone.localdate()
    units = ensure_units(units_count)
    leaves = ensure_strategy_tree()
    data_sets = ensure_city_data_sets()
    created = 0
    for year in range(current - years + 1, current + 1):
        fiscal_year = ensure_fiscal_year(year)
        due_dates = {q.quarter: q.due_date for q in fiscal_year.quarters.all()}
        for unit in units:
            with transaction.atomic():
                created += generate_unit_year(
                    fiscal_year, unit, per_unit, leaves, data_sets, due_dates, today
                )
    return created


def quarter_records(indicator, planned, fiscal_year, due_dates, today, rng) -> tuple[list, list]:
    """The indicator's quarter reports and audit scores as of ``today``: closed quarters
    reported (late now and then) and mostly accepted, the current one sometimes a draft."""
    reports, scores = [], []
    verification_quarter = None
    for quarter, target in zip(QUARTERS, planned, strict=True):
        due = due_dates[quarter]
        quarter_over = thai.quarter_end(fiscal_year.year, quarter) < today
        if not quarter_over:
            if quarter == thai.fiscal_quarter_of(today) and rng.random() < 0.3:
                reports.append(
                    QuarterReport(
                        indicator=indicator,
                        quarter=quarter,
                        result=None,
                        narrative=narrative(rng, fiscal_year.year, quarter)[:400],
                        status=QuarterReport.Status.DRAFT,
                    )
                )
            continue
        if due >= today and rng.random() < 0.4:
            continue  # reporting window still open: not reported yet
        result = demo_result(indicator, target, rng)
        # Auditors are still reviewing the latest closed quarter (due dates are ~91 days apart).
        accepted = due < today - datetime.timedelta(days=100) or rng.random() < 0.5
        reports.append(
            QuarterReport(
                indicator=indicator,
                quarter=quarter,
                result=result,
                narrative=narrative(rng, fiscal_year.year, quarter),
                status=QuarterReport.Status.ACCEPTED if accepted else QuarterReport.Status.SUBMITTED,
                submitted_at=timezone.make_aware(
                    datetime.datetime.combine(
                        due - datetime.timedelta(days=rng.randint(-5, 10)), datetime.time(10)
                    )
                ),
                is_late=rng.random() < 0.08,
            )
        )
        if accepted:
            if quarter in (3, 4) and verification_quarter is None and rng.random() < 0.6:
                verification_quarter = quarter
            scores.append(
                AuditScore(
                    indicator=indicator,
                    quarter=quarter,
                    score=Decimal(rng.choice((60, 70, 80, 90, 100, 100, 100))),
                    criterion_1=Decimal(rng.choice((50, 75, 100, 100))),
                    criterion_2=Decimal(rng.choice((50, 75, 100, 100))),
                    is_verification=quarter == verification_quarter,
                )
            )
    return reports, scores


def generate_unit_year(fiscal_year, unit, per_unit, leaves, data_sets, due_dates, today) -> int:
    existing = set(
        Indicator.objects.filter(fiscal_year=fiscal_year, org_unit=unit).values_list("code", flat=True)
    )
    rng = random.Random(f"{fiscal_year.year}-{unit.code}")
    new = []
    for sequence in range(1, per_unit + 1):
        code = f"{sequence:04d}"
        template, uom, target = pools.INDICATOR_TEMPLATES[rng.randrange(len(pools.INDICATOR_TEMPLATES))]
        topic = rng.choice(pools.TOPICS)
        lower = uom in pools.LOWER_IS_BETTER_UNITS
        dimension = rng.choice((1, 1, 2, 3, 4))
        indicator = Indicator(
            fiscal_year=fiscal_year,
            org_unit=unit,
            code=code,
            sequence=sequence,
            agreement_ref=f"{dimension}.{rng.randint(1, 6)}",
            name=template.format(topic=topic),
            annual_target=Decimal(target),
            unit_of_measure=uom,
            indicator_type=rng.choice(Indicator.Type.values),
            result_level=rng.choice(Indicator.ResultLevel.values),
            direction=Indicator.Direction.LOWER_IS_BETTER if lower else Indicator.Direction.HIGHER_IS_BETTER,
            is_cumulative=not lower,
            definition=" ".join(rng.sample(pools.DEFINITION_SENTENCES, 3)),
            calculation_method=rng.choice(pools.CALCULATION_METHODS),
            data_source=rng.choice(pools.DATA_SOURCES),
            strategy_node=rng.choice(leaves),
        )
        if code not in existing:
            new.append(indicator)
    if not new:
        return 0
    Indicator.objects.bulk_create(new, batch_size=BATCH)
    # bulk_create sets primary keys on PostgreSQL but not always on SQLite: re-read them.
    by_code = {
        i.code: i
        for i in Indicator.objects.filter(
            fiscal_year=fiscal_year, org_unit=unit, code__in=[n.code for n in new]
        )
    }
    targets, reports, scores, summaries, projects, links = [], [], [], [], [], []
    Link = Indicator.city_data_sets.through
    for draft in new:
        indicator = by_code[draft.code]
        rng = random.Random(f"{fiscal_year.year}-{unit.code}-{draft.code}")
        planned = quarter_targets(
            indicator.annual_target,
            indicator.is_cumulative,
            whole=indicator.counts_whole_things,
        )
        for quarter, target in zip(QUARTERS, planned, strict=True):
            targets.append(QuarterTarget(indicator=indicator, quarter=quarter, target=target))
        quarter_reports, quarter_scores = quarter_records(
            indicator, planned, fiscal_year, due_dates, today, rng
        )
        reports += quarter_reports
        scores += quarter_scores
        if thai.fiscal_year_bounds(fiscal_year.year)[1] < today:
            summaries.append(
                AnnualSummary(
                    indicator=indicator,
                    text="สรุปผลการดำเนินงานประจำปี: " + narrative(rng, fiscal_year.year, 4)[:600],
                )
            )
        for position in range(rng.randint(0, 2)):
            projects.append(
                SupportingProject(indicator=indicator, position=position, name=rng.choice(pools.PROJECTS))
            )
        for data_set in rng.sample(data_sets, rng.randint(0, 2)):
            links.append(Link(indicator=indicator, citydataset=data_set))
    QuarterTarget.objects.bulk_create(targets, batch_size=BATCH)
    QuarterReport.objects.bulk_create(reports, batch_size=BATCH)
    AuditScore.objects.bulk_create(scores, batch_size=BATCH)
    AnnualSummary.objects.bulk_create(summaries, batch_size=BATCH)
    SupportingProject.objects.bulk_create(projects, batch_size=BATCH)
    Link.objects.bulk_create(links, batch_size=BATCH)
    return len(new)
