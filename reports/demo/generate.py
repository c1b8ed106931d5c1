"""Demo data: the seed indicator exactly as on its sheet, generated indicators at
realistic scale with their quarters' reports and scores, and one account per role.
Every function is idempotent.

Reports and scores are written in bulk, as data migrated from the old system would
be (no users, no history): a fiscal year of 70 units takes seconds, not minutes. Their
results follow the indicators' unit-of-measure rules (``Indicator.check_result``)."""

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from indicators import thai
from indicators.calendar import WorkingCalendar
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
    standard_units_of_measure,
    working_calendar,
)
from reports.demo import pools, seed_sheet, texts
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
# About one report in ten is sent after its deadline; about three in four meet their target.
LATE_SHARE = 0.1
ON_TARGET_SHARE = 0.75
BATCH = 2000


def ensure_fiscal_year(year: int) -> FiscalYear:
    # Demo years move deadlines that fall on holidays (Songkran: 15 April) to a working day.
    fiscal_year, _ = FiscalYear.objects.get_or_create(
        year=year, defaults={"move_due_date_to_working_day": True}
    )
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
    standard_units_of_measure()
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
            "unit_of_measure_id": "ร้อยละ",
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
                # Reminders go to the console in `make run` (DJANGO_DEBUG=1).
                "email": f"{username}@kpi-demo.invalid",
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


def demo_result(indicator: Indicator, template: pools.IndicatorTemplate, target: Decimal, rng) -> Decimal:
    """A plausible result near ``target``, meeting it about three times in four, that its
    unit of measure allows (Indicator's rules): whole numbers where the unit counts
    things, levels within 1-5, shares and scores at most 100."""
    meets = rng.random() < ON_TARGET_SHARE
    above = rng.randint(1000, 1120) if meets else rng.randint(800, 990)  # per mille of target
    if template.lower_is_better:
        above = 2000 - above  # meeting a "lower is better" target means staying under it
    result = target * Decimal(above) / 1000
    for ceiling in (indicator.unit_of_measure.maximum, template.maximum):
        if ceiling is not None:
            result = min(result, Decimal(ceiling))
    result = result.quantize(Decimal(1) if indicator.unit_of_measure.whole_numbers else TWO_PLACES)
    indicator.check_result(result)
    return result


def quarter_targets(annual: Decimal, cumulative: bool, whole: bool = False) -> list[Decimal]:
    if not cumulative:
        return [annual] * 4
    step = Decimal(1) if whole else TWO_PLACES
    return [
        (annual * share).quantize(step, rounding=ROUND_HALF_UP)
        for share in (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))
    ]


def at_office_hours(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A moment of ``day`` between 08:30 and 16:30, local time."""
    minute = rng.randrange(8 * 60)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(8, 30))) + datetime.timedelta(
        minutes=minute
    )


@dataclass
class Timeline:
    """A fiscal year's quarters as of ``today``, on the working calendar."""

    periods: dict[int, FiscalQuarter]
    today: datetime.date
    calendar: WorkingCalendar


def submission_day(period: FiscalQuarter, timeline: Timeline, rng: random.Random) -> datetime.date | None:
    """The working day a unit sent the quarter's report: after the quarter ended, mostly
    in the two weeks before the deadline, now and then in the two weeks after it; before
    today (the demo is made during today). None when no such day has come yet."""
    first = thai.quarter_end(period.fiscal_year.year, period.quarter) + datetime.timedelta(days=1)
    last = timeline.today - datetime.timedelta(days=1)
    due = period.effective_due_date  # the deadline that counts (moved off a holiday)
    two_weeks = datetime.timedelta(days=14)
    late = texts.working_days(timeline.calendar, due + datetime.timedelta(days=1), min(due + two_weeks, last))
    if late and rng.random() < LATE_SHARE:
        return rng.choice(late)
    in_time = texts.working_days(timeline.calendar, max(first, due - two_weeks), min(due, last))
    in_time = in_time or texts.working_days(timeline.calendar, first, last)
    return rng.choice(in_time) if in_time else None


def generate(units_count: int, per_unit: int, years: int, today: datetime.date | None = None) -> int:
    """Create what is missing of the generated data set as of ``today``; returns
    indicators created."""
    today = today or timezone.localdate()
    current = current_fiscal_year(today)
    units = ensure_units(units_count)
    standard_units_of_measure()
    leaves = ensure_strategy_tree()
    data_sets = ensure_city_data_sets()
    calendar = working_calendar()
    created = 0
    for year in range(current - years + 1, current + 1):
        fiscal_year = ensure_fiscal_year(year)
        periods = {period.quarter: period for period in fiscal_year.quarters.select_related("fiscal_year")}
        timeline = Timeline(periods, today, calendar)
        for unit in units:
            with transaction.atomic():
                created += generate_unit_year(fiscal_year, unit, per_unit, leaves, data_sets, timeline)
    return created


def quarter_records(indicator, template, planned, timeline: Timeline, rng) -> tuple[list, list]:
    """The indicator's quarter reports and audit scores as of today: ended quarters
    reported (late exactly when sent after the deadline) and, once reviewed, accepted;
    the quarter under way sometimes a draft."""
    today, calendar = timeline.today, timeline.calendar
    reports, scores = [], []
    verification_quarter = None
    year = indicator.fiscal_year.year
    reached = Decimal(0)
    for quarter, target in zip(QUARTERS, planned, strict=True):
        period = timeline.periods[quarter]
        if thai.quarter_end(year, quarter) >= today:
            if thai.quarter_end(year, quarter) - datetime.timedelta(days=92) < today and rng.random() < 0.3:
                reports.append(
                    QuarterReport(
                        indicator=indicator,
                        quarter=quarter,
                        result=None,
                        narrative=texts.draft_narrative(rng, template, year, quarter, today, calendar),
                        status=QuarterReport.Status.DRAFT,
                    )
                )
            continue
        sent_on = submission_day(period, timeline, rng)
        if sent_on is None or (period.effective_due_date >= today and rng.random() < 0.4):
            continue  # reporting window still open: not reported yet
        result = demo_result(indicator, template, target, rng)
        if template.cumulative:
            result = reached = max(result, reached)
        submitted_at = at_office_hours(sent_on, rng)
        reviewed_on = calendar.add_working_days(sent_on, rng.randint(2, 20))
        # Auditors are still reviewing the latest reports.
        accepted = reviewed_on < today and (
            reviewed_on < today - datetime.timedelta(days=45) or rng.random() < 0.5
        )
        reviewed_at = at_office_hours(reviewed_on, rng) if accepted else None
        reports.append(
            QuarterReport(
                indicator=indicator,
                quarter=quarter,
                result=result,
                narrative=texts.quarter_narrative(rng, template, year, quarter, result, target, calendar),
                status=QuarterReport.Status.ACCEPTED if accepted else QuarterReport.Status.SUBMITTED,
                submitted_at=submitted_at,
                is_late=period.is_past_due(submitted_at),
                reviewed_at=reviewed_at,
            )
        )
        if accepted:
            met = texts.meets_target(template, result, target)
            if quarter in (3, 4) and verification_quarter is None and rng.random() < 0.6:
                verification_quarter = quarter
            scores.append(
                AuditScore(
                    indicator=indicator,
                    quarter=quarter,
                    # Auditors score a quarter that met its target higher.
                    score=Decimal(rng.choice((90, 100, 100, 100) if met else (60, 70, 80))),
                    criterion_1=Decimal(rng.choice((75, 100, 100) if met else (50, 75))),
                    criterion_2=Decimal(rng.choice((75, 100, 100) if met else (50, 75))),
                    is_verification=quarter == verification_quarter,
                    scored_at=reviewed_at,
                )
            )
    return reports, scores


def indicator_kinds(year: int, unit_code: str) -> list[tuple[pools.IndicatorTemplate, str]]:
    """Every (template, indicator name) in an order of the unit and year's own: its Nth
    indicator is the Nth (names repeat only in a unit with more indicators than names)."""
    kinds = [(template, name) for template in pools.INDICATOR_TEMPLATES for name in template.names()]
    random.Random(f"{year}-{unit_code}").shuffle(kinds)
    return kinds


def new_indicator(fiscal_year, unit, sequence, template, name, leaves, rng) -> Indicator:
    Direction = Indicator.Direction
    general = pools.DEFINITION_SENTENCES
    chosen = sorted(rng.sample(range(len(general)), rng.randint(1, 2)))  # one or two, in order
    dimension = rng.choice((1, 1, 2, 3, 4))
    return Indicator(
        fiscal_year=fiscal_year,
        org_unit=unit,
        code=f"{sequence:04d}",
        sequence=sequence,
        agreement_ref=f"{dimension}.{rng.randint(1, 6)}",
        name=name,
        annual_target=Decimal(rng.choice(template.targets)),
        unit_of_measure_id=template.unit,
        indicator_type=rng.choice(Indicator.Type.values),
        result_level=rng.choice(Indicator.ResultLevel.values),
        direction=Direction.LOWER_IS_BETTER if template.lower_is_better else Direction.HIGHER_IS_BETTER,
        is_cumulative=template.cumulative,
        definition=" ".join([template.definition, *(general[i] for i in chosen)]),
        calculation_method=template.method,
        data_source=template.data_source,
        strategy_node=rng.choice(leaves),
    )


def generate_unit_year(fiscal_year, unit, per_unit, leaves, data_sets, timeline: Timeline) -> int:
    existing = set(
        Indicator.objects.filter(fiscal_year=fiscal_year, org_unit=unit).values_list("code", flat=True)
    )
    kinds = indicator_kinds(fiscal_year.year, unit.code)
    new, templates, rngs = [], {}, {}
    for sequence in range(1, per_unit + 1):
        code = f"{sequence:04d}"
        if code in existing:
            continue
        template, name = kinds[(sequence - 1) % len(kinds)]
        rngs[code] = rng = random.Random(f"{fiscal_year.year}-{unit.code}-{code}")
        templates[code] = template
        new.append(new_indicator(fiscal_year, unit, sequence, template, name, leaves, rng))
    if not new:
        return 0
    Indicator.objects.bulk_create(new, batch_size=BATCH)
    # bulk_create sets primary keys on PostgreSQL but not always on SQLite: re-read them.
    by_code = {
        i.code: i
        for i in Indicator.objects.select_related("fiscal_year", "unit_of_measure").filter(
            fiscal_year=fiscal_year, org_unit=unit, code__in=[n.code for n in new]
        )
    }
    targets, reports, scores, summaries, projects, links = [], [], [], [], [], []
    Link = Indicator.city_data_sets.through
    for code, indicator in by_code.items():
        rng, template = rngs[code], templates[code]
        planned = quarter_targets(
            indicator.annual_target,
            indicator.is_cumulative,
            whole=indicator.unit_of_measure.whole_numbers,
        )
        for quarter, target in zip(QUARTERS, planned, strict=True):
            targets.append(QuarterTarget(indicator=indicator, quarter=quarter, target=target))
        quarter_reports, quarter_scores = quarter_records(indicator, template, planned, timeline, rng)
        reports += quarter_reports
        scores += quarter_scores
        year_end = [r.result for r in quarter_reports if r.quarter == 4 and r.result is not None]
        for year_result in year_end:  # the year's summary is written with its last report
            summaries.append(
                AnnualSummary(
                    indicator=indicator,
                    text=texts.annual_summary(rng, template, fiscal_year.year, year_result, planned[3]),
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
