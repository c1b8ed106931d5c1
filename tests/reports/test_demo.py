import datetime
import re
from decimal import Decimal

import icu
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone, translation

from indicators.models import FiscalQuarter, FiscalYear, Indicator, OrgUnit, QuarterTarget, Role
from reports.demo import seed_sheet
from reports.demo.generate import DEMO_PASSWORD, DEMO_USERS, generate
from reports.models import AnnualSummary, AuditScore, QuarterReport

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
    assert indicator.unit_of_measure_id == "ร้อยละ"
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


# The demo data's rules (issue 11, item 5): what an official would doubt in it.
# Expected values are worked out here: Thai month names, BE years and the quarters'
# months are written out, not read from the code under test.

THAI_MONTHS = {
    "มกราคม": 1,
    "กุมภาพันธ์": 2,
    "มีนาคม": 3,
    "เมษายน": 4,
    "พฤษภาคม": 5,
    "มิถุนายน": 6,
    "กรกฎาคม": 7,
    "สิงหาคม": 8,
    "กันยายน": 9,
    "ตุลาคม": 10,
    "พฤศจิกายน": 11,
    "ธันวาคม": 12,
}
# "เมื่อวันที่ 12 พฤศจิกายน 2568" or "ในเดือนพฤศจิกายน 2568": (day or None, month, BE year).
MENTIONED_DATE = re.compile(r"(?:วันที่\s*(\d{1,2})\s*)?(" + "|".join(THAI_MONTHS) + r")\s*(\d{4})")
# Thai has no full stop: the demo's texts close with a sentence ending in one of these words.
SENTENCE_ENDS = {"แล้ว", "กำหนด", "ต่อไป"}
# Three moments of the year: inside a quarter's reporting window (FY 2569 Q1 ended
# 31 Dec 2025, due 15 Jan 2026); the first day of a fiscal year (FY 2570), the last
# quarter just ended; two months into a quarter (FY 2570 Q1), the last window closed.
DEMO_TODAYS = (datetime.date(2026, 1, 10), datetime.date(2026, 10, 1), datetime.date(2026, 11, 27))


def quarter_months(fiscal_year_be: int, quarter: int) -> set[tuple[int, int]]:
    """(month, BE calendar year) of a quarter: FY 2569 runs October 2568 - September 2569."""
    months = {1: (10, 11, 12), 2: (1, 2, 3), 3: (4, 5, 6), 4: (7, 8, 9)}[quarter]
    year = fiscal_year_be - 1 if quarter == 1 else fiscal_year_be
    return {(month, year) for month in months}


def quarter_last_day(fiscal_year_be: int, quarter: int) -> datetime.date:
    year_ce = fiscal_year_be - 543
    return {
        1: datetime.date(year_ce - 1, 12, 31),
        2: datetime.date(year_ce, 3, 31),
        3: datetime.date(year_ce, 6, 30),
        4: datetime.date(year_ce, 9, 30),
    }[quarter]


def icu_boundaries(text: str) -> list[int]:
    """ICU's Thai word boundaries of ``text`` (the demo's texts are all in the BMP, where
    ICU's UTF-16 offsets are character offsets)."""
    assert all(ord(char) <= 0xFFFF for char in text)
    iterator = icu.BreakIterator.createWordInstance(icu.Locale("th"))
    iterator.setText(text)
    return [0, *iterator]


def icu_words(text: str) -> list[str]:
    """The words of ``text`` by ICU's Thai word boundaries (spaces dropped)."""
    bounds = icu_boundaries(text)
    words = (text[start:end] for start, end in zip(bounds, bounds[1:], strict=False))
    return [word for word in words if word.strip()]


@pytest.fixture(scope="module", params=DEMO_TODAYS, ids=str)
def demo_today(request, django_db_setup, django_db_blocker):
    """The generated data set as of a fixed day, made once per day and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        generate(4, 10, 2, today=request.param)
        yield request.param
        transaction.set_rollback(True)


@pytest.fixture
def generated(demo_today):
    return demo_today, Indicator.objects.select_related("fiscal_year").order_by("pk")


def generated_reports():
    return QuarterReport.objects.select_related("indicator__fiscal_year").order_by("pk")


def test_every_date_a_narrative_mentions_lies_in_its_quarter_and_before_it_was_written(generated):
    today, _ = generated
    reports = list(generated_reports())
    assert any(r.status == QuarterReport.Status.DRAFT for r in reports)
    for report in reports:
        year = report.indicator.fiscal_year.year
        written = timezone.localdate(report.submitted_at) if report.submitted_at else today
        mentions = MENTIONED_DATE.findall(report.narrative)
        assert mentions, report.narrative
        for day, month_name, year_be in mentions:
            month, year_be = THAI_MONTHS[month_name], int(year_be)
            assert (month, year_be) in quarter_months(year, report.quarter), (
                year,
                report.quarter,
                report.narrative,
            )
            mentioned = datetime.date(year_be - 543, month, int(day or 1))
            assert mentioned <= written, (written, report.narrative)
            if day:  # a meeting or a visit: on a weekday
                assert mentioned.weekday() < 5, (mentioned, report.narrative)


def test_late_exactly_when_sent_after_the_deadline_and_never_in_the_future(generated):
    today, _ = generated
    sent = [r for r in generated_reports() if r.submitted_at is not None]
    assert sent
    # The deadline that counts: the demo's years move deadlines off non-working days
    # (Songkran: the 15 April deadline of quarter 2 moves to the next working day).
    periods = FiscalQuarter.objects.select_related("fiscal_year")
    deadlines = {(p.fiscal_year.year, p.quarter): p.effective_due_date for p in periods}
    for report in sent:
        year = report.indicator.fiscal_year.year
        sent_on = timezone.localdate(report.submitted_at)
        assert report.is_late == (sent_on > deadlines[year, report.quarter]), (sent_on, report.is_late)
        assert quarter_last_day(year, report.quarter) < sent_on < today
        assert sent_on.weekday() < 5, sent_on  # offices are closed at weekends
        if report.reviewed_at is not None:
            reviewed_on = timezone.localdate(report.reviewed_at)
            assert report.submitted_at < report.reviewed_at
            assert reviewed_on < today and reviewed_on.weekday() < 5
    late = sum(r.is_late for r in sent)
    if today == datetime.date(2026, 11, 27):  # a year and a quarter of reports
        assert 0 < late < len(sent) / 4


def test_texts_are_whole_sentences_never_cut(generated):
    _, indicators = generated
    texts = [r.narrative for r in generated_reports()]
    texts += list(AnnualSummary.objects.values_list("text", flat=True))
    assert len(texts) > len(indicators)
    for text in texts:
        ending = next((end for end in SENTENCE_ENDS if text.endswith(end)), None)
        assert ending is not None, text[-80:]
        assert len(text) - len(ending) in icu_boundaries(text), text[-80:]  # a whole word
        assert "%" not in text and "…" not in text


def test_no_word_repeats_side_by_side(generated):
    _, indicators = generated
    texts = []
    for indicator in indicators:
        texts += [indicator.name, indicator.definition, indicator.calculation_method]
    texts += [r.narrative for r in generated_reports()]
    texts += list(AnnualSummary.objects.values_list("text", flat=True))
    for text in texts:
        words = icu_words(text)
        for length in (1, 2, 3):
            for start in range(len(words) - 2 * length + 1):
                first, second = words[start : start + length], words[start + length : start + 2 * length]
                assert first != second, f"{''.join(first)} twice in {text}"


def test_units_agree_with_names_methods_targets_and_results(generated):
    _, indicators = generated
    names_by_unit = {
        "ร้อยละ": "ร้อยละ",
        "ระดับ": "ระดับ",
        "บาท": "จำนวนเงิน",
        "ครั้ง": "จำนวนครั้ง",
        "วัน": "ระยะเวลา",
        "คะแนน": "คะแนน",
    }
    method_words = {
        "ร้อยละ": "x 100",
        "ระดับ": "5 ระดับ",
        "บาท": "บาท",
        "ครั้ง": "ครั้ง",
        "ราย": "ราย",
        "วัน": "วัน",
        "คะแนน": "คะแนน",
    }
    results = {}
    for report in QuarterReport.objects.exclude(result=None).order_by("quarter"):
        results.setdefault(report.indicator_id, []).append(report.result)
    for indicator in indicators:
        unit = indicator.unit_of_measure_id
        with translation.override("th"):
            assert str(indicator.get_unit_of_measure_display()) != "จำนวน", indicator.name  # not a unit
        for other, start in names_by_unit.items():
            assert indicator.name.startswith(start) == (unit == other), (unit, indicator.name)
        assert method_words[unit] in indicator.calculation_method, (unit, indicator.calculation_method)
        assert ("x 100" in indicator.calculation_method) == (unit == "ร้อยละ")
        assert ("5 ระดับ" in indicator.calculation_method) == (unit == "ระดับ")
        ceiling = {"ร้อยละ": 100, "คะแนน": 100, "ระดับ": 5}.get(unit)
        values = [indicator.annual_target, *results.get(indicator.pk, [])]
        if ceiling is not None:
            assert max(values) <= ceiling, (indicator.name, values)
        if unit in ("ระดับ", "ครั้ง", "ราย"):
            assert all(value == int(value) for value in values), (indicator.name, values)
        if indicator.direction == Indicator.Direction.LOWER_IS_BETTER:
            assert not indicator.is_cumulative
        if indicator.is_cumulative:
            assert results.get(indicator.pk, []) == sorted(results.get(indicator.pk, [])), indicator.name


def test_a_units_indicators_have_different_names(generated):
    _, indicators = generated
    names = {}
    for indicator in indicators:
        names.setdefault((indicator.fiscal_year_id, indicator.org_unit_id), []).append(indicator.name)
    for unit_names in names.values():
        assert len(unit_names) == len(set(unit_names))
