"""The reader of sheets saved from the old system (``reports/migration/old_sheet.py``).

Expected values are literals, the verbatim texts of ``reports/demo/seed_sheet.py``
(hand-built, independent of the reader) or the seed indicator that ``seed_demo`` builds.
The files in ``tests/data/old_sheets/`` are the seed's layout edited by hand; the seed's
CRLF + BOM and cp874 copies were written from the seed text by Python (``newline="\\r\\n"``,
trailing spaces on some lines; ``.encode("cp874")``).
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.models import Indicator
from reports.demo import seed_sheet
from reports.migration.old_sheet import (
    INDICATOR_TYPES,
    RESULT_LEVELS,
    OldSheetError,
    decode,
    read_old_sheet,
    read_old_sheet_file,
)
from reports.migration.records import (
    DataSetRecord,
    ProjectRecord,
    QuarterRecord,
    SheetRecord,
    StrategyStep,
    Verification,
)

DATA = Path(__file__).parent.parent / "data"
SEED = DATA / "seed_sheet_000_2dc794069d1136f5.txt"
VARIANTS = DATA / "old_sheets"
SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.split("\n")


def read(text: str) -> SheetRecord:
    return read_old_sheet(text, fiscal_year=2560)


def read_variant(name: str) -> SheetRecord:
    return read_old_sheet_file(VARIANTS / name, fiscal_year=2561)


def seed_with(**changes) -> str:
    """The seed text with lines (1-based: ``line_29="3O.00"``) replaced; None deletes one."""
    lines = list(SEED_LINES)
    for key, value in changes.items():
        lines[int(key.removeprefix("line_")) - 1] = value
    return "\n".join(line for line in lines if line is not None)


# --- the seed ---------------------------------------------------------------------------------


def test_the_seed_reads_as_the_hand_built_sheet():
    record = read(SEED_TEXT)

    assert record.fiscal_year == 2560
    assert record.sequence == 26
    assert record.name == seed_sheet.NAME
    assert record.agreement_ref == "3.2"
    assert (record.unit_code, record.indicator_code) == ("5016", "0685")
    assert record.unit_of_measure == "ร้อยละ"
    assert record.annual_target == Decimal("100")
    assert record.achieved == Decimal("100")
    assert (record.indicator_type_text, record.indicator_type) == ("ตัวชี้วัดงานประจำ", "routine")
    assert (record.result_level_text, record.result_level) == ("ตัวชี้วัดระดับผลผลิต (output)", "output")
    assert record.verification == Verification(quarter=1, score=Decimal("100"))
    assert record.criterion_labels == ("2.1", "2.2")
    hundred = Decimal("100")
    assert [(q.quarter, q.result, q.score, q.criterion_1, q.criterion_2) for q in record.quarters] == [
        (1, Decimal("30.00"), hundred, hundred, hundred),
        (2, Decimal("60.00"), hundred, hundred, hundred),
        (3, Decimal("75.00"), hundred, hundred, hundred),
        # "0 / 0" on the old sheet: not evaluated.
        (4, Decimal("100.00"), hundred, None, None),
    ]
    assert [q.printed_criteria for q in record.quarters] == ["100 / 100"] * 3 + ["0 / 0"]
    assert tuple(q.narrative for q in record.quarters) == seed_sheet.NARRATIVES
    assert record.summary == ""
    assert record.definition == seed_sheet.DEFINITION
    assert record.calculation_method == seed_sheet.CALCULATION_METHOD
    assert record.data_source == ""
    assert tuple((step.code, step.title) for step in record.strategy_path) == seed_sheet.STRATEGY_PATH
    assert [step.level for step in record.strategy_path] == [1, 2, 3, 4]
    assert record.projects == () and record.data_sets == ()
    assert record.warnings == ()


def test_the_seed_keeps_the_old_systems_artefacts_and_drops_its_controls():
    record = read(SEED_TEXT)

    assert record.strategy_path[2].title.endswith("เป็นที่เชื่%")
    texts = [record.name, record.definition, *(q.narrative for q in record.quarters)]
    texts += [step.title for step in record.strategy_path]
    assert not any(text.startswith(("*", ":", "(26)")) or "Back Home" in text for text in texts)
    assert all(isinstance(value, Decimal) for q in record.quarters for value in (q.result, q.score))


def test_the_seed_reads_as_seed_demo_builds_it(seeded):
    """Field by field against the indicator ``seed_indicator`` builds by hand."""
    record = read(SEED_TEXT)
    indicator = Indicator.objects.select_related("org_unit", "fiscal_year", "strategy_node").get(pk=seeded.pk)

    assert record.fiscal_year == indicator.fiscal_year.year
    for field in ("sequence", "name", "agreement_ref", "annual_target", "indicator_type", "result_level"):
        assert getattr(record, field) == getattr(indicator, field), field
    for field in ("definition", "calculation_method", "data_source"):
        assert getattr(record, field) == getattr(indicator, field), field
    assert (record.unit_code, record.indicator_code) == (indicator.org_unit.code, indicator.code)
    with translation.override("th"):
        assert record.unit_of_measure == indicator.get_unit_of_measure_display()
    assert [(step.code, step.title) for step in record.strategy_path] == [
        (node.code, node.title) for node in indicator.strategy_node.path()
    ]
    reports = {report.quarter: report for report in indicator.reports.all()}
    scores = {score.quarter: score for score in indicator.scores.all()}
    for quarter in record.quarters:
        report, score = reports[quarter.quarter], scores[quarter.quarter]
        assert (quarter.result, quarter.narrative) == (report.result, report.narrative)
        assert (quarter.score, quarter.criterion_1, quarter.criterion_2) == (
            score.score,
            score.criterion_1,
            score.criterion_2,
        )
        assert (record.verification.quarter == quarter.quarter) == score.is_verification
    assert len(record.quarters) == len(reports) == 4
    assert list(indicator.projects.all()) == [] and list(indicator.city_data_sets.all()) == []


@pytest.mark.parametrize("name", ["seed_crlf_bom.txt", "seed_cp874.txt"])
def test_windows_line_endings_a_bom_trailing_spaces_and_cp874_read_as_the_seed(name):
    raw = (VARIANTS / name).read_bytes()
    assert b"\r\n" in raw  # the files are what they claim to be
    assert raw.startswith(b"\xef\xbb\xbf") == (name == "seed_crlf_bom.txt")

    assert read_old_sheet_file(VARIANTS / name, fiscal_year=2560) == read(SEED_TEXT)


# --- variants -----------------------------------------------------------------------------------


def test_another_unit_four_decimal_scores_and_a_verification_in_quarter_3():
    record = read_variant("level_unit_verified_q3.txt")

    assert record.fiscal_year == 2561
    assert (record.sequence, record.agreement_ref, record.indicator_code) == (4, "1.1", "0012")
    assert record.name == "ระดับความสำเร็จในการจัดทำแผนพัฒนาเขต (ระดับ)"
    assert (record.unit_of_measure, record.annual_target, record.achieved) == ("ระดับ", Decimal(5), Decimal(5))
    assert (record.indicator_type, record.result_level) == ("strategic", "outcome")
    assert record.verification == Verification(3, Decimal("87.5"))
    assert [(q.result, q.score, q.criterion_1, q.criterion_2) for q in record.quarters] == [
        (Decimal("1.00"), Decimal(100), Decimal(100), Decimal(100)),
        (Decimal("3.00"), Decimal(90), Decimal(80), Decimal(100)),
        (Decimal("4.00"), Decimal("87.5"), Decimal(75), Decimal(100)),
        (Decimal("5.00"), Decimal(100), Decimal(100), Decimal(100)),
    ]
    # As printed: four decimal places kept.
    assert str(record.quarter(3).score) == "87.5000"
    assert record.quarter(3).printed_score == "87.5000"
    assert record.data_source == "ฝ่ายปกครอง สำนักงานเขตธนบุรี"
    assert [step.code for step in record.strategy_path] == ["7", "7.1", "7.1.2", "7.1.2.1"]
    assert record.strategy_path[1].title == "การบริหารเชิงยุทธศาสตร์"
    assert record.warnings == ()


def test_thousands_separators_missing_quarters_and_no_verification():
    record = read_variant("baht_two_quarters.txt")

    assert record.unit_of_measure == "บาท"
    assert record.annual_target == Decimal("1500000.00")
    assert record.achieved == Decimal("812345.50")
    assert record.indicator_type == "mission"
    assert record.verification is None
    assert record.quarters == (
        QuarterRecord(
            quarter=1,
            result=Decimal("356000.00"),
            narrative="จัดเก็บภาษีป้ายได้ 356,000 บาท จากผู้ประกอบการ 41 ราย",
            printed_score="0",
            printed_criteria="0 / 0",
        ),
        QuarterRecord(
            quarter=2,
            result=Decimal("812345.50"),
            narrative="จัดเก็บภาษีป้ายเพิ่มได้ 456,345.50 บาท รวมสะสม 812,345.50 บาท",
            printed_score="0",
            printed_criteria="0 / 0",
        ),
    )
    assert record.quarter(3) is None
    assert [step.code for step in record.strategy_path] == ["7", "7.4"]
    assert record.warnings == ()


def test_empty_sections_a_new_prefix_and_a_unit_in_parentheses():
    record = read_variant("empty_sections_new_name.txt")

    assert record.sequence == 31
    assert record.name == "(New) จำนวนต้นไม้ที่ปลูกเพิ่มในพื้นที่สาธารณะ (ต้น)"
    assert (record.agreement_ref, record.unit_code, record.indicator_code) == ("", "5016", "0904")
    assert (record.unit_of_measure, record.annual_target, record.achieved) == ("ต้น", Decimal(2000), None)
    assert (record.indicator_type, record.result_level_text, record.result_level) == ("routine", "", None)
    assert record.verification == Verification(1, Decimal(0))
    assert record.quarters == (QuarterRecord(1, printed_score="0", printed_criteria="0 / 0"),)
    assert (record.summary, record.definition, record.calculation_method, record.data_source) == (
        "",
        "",
        "",
        "",
    )
    assert (record.strategy_path, record.projects, record.data_sets) == ((), (), ())
    assert record.warnings == ()


def test_scores_with_four_decimals_criteria_without_a_score_and_results_that_go_down():
    record = read_variant("scores_four_decimals_results_down.txt")

    assert [q.result for q in record.quarters] == [
        Decimal("20.00"),
        Decimal("35.00"),
        Decimal("30.00"),
        Decimal("42.50"),
    ]
    rows = [(q.score, q.criterion_1, q.criterion_2) for q in record.quarters]
    assert rows == [
        (None, Decimal(80), Decimal(90)),  # criteria, but the score printed 0.0000: not scored
        (Decimal("95.5"), None, None),  # a score, but "0 / 0": no criteria
        (Decimal(100), Decimal(100), Decimal(0)),  # a zero beside a criterion is a real zero
        (Decimal("66.67"), Decimal(50), Decimal("83.34")),
    ]
    assert [q.printed_score for q in record.quarters] == ["0.0000", "95.5000", "100.0000", "66.6700"]
    assert record.verification == Verification(4, Decimal("66.67"))
    assert (record.unit_of_measure, record.achieved) == ("ครั้ง", Decimal("42.50"))
    # Results reported as percent progress on an indicator counted in times.
    assert len(record.warnings) == 1
    assert "ร้อยละ" in record.warnings[0] and "ครั้ง" in record.warnings[0]


def test_a_summary_projects_data_sets_a_long_name_and_unknown_type_texts():
    record = read_variant("summary_projects_data_sets_q4.txt")

    assert len(record.name) > 200
    assert record.name.endswith("ที่ขึน้ทะเบียนไว้")  # marks out of order: data, kept
    assert record.agreement_ref == "3.1"
    assert (record.annual_target, record.achieved) == (Decimal("1.00"), Decimal("4.75"))
    assert record.verification == Verification(4, Decimal(100))
    assert record.summary == (
        "ในปีงบประมาณ พ.ศ. 2560 สำนักงานเขตติดตั้งกล้องวงจรปิดและไฟฟ้าส่องสว่างได้ 4.75 แห่ง"
        " เกินเป้าหมายที่กำหนดไว้ 1 แห่ง\n\nปัญหาอุปสรรค: งบประมาณล่าช้าในไตรมาสที่ 1"
    )
    assert record.data_source == "ฝ่ายโยธา สำนักงานเขตธนบุรี\nทะเบียนจุดเสี่ยงของสถานีตำรวจนครบาล"
    assert record.projects == (
        ProjectRecord("1. โครงการชุมชนปลอดภัย ร่วมใจป้องกันอาชญากรรม"),
        ProjectRecord("2. โครงการติดตั้งกล้องวงจรปิด (CCTV) ในพื้นที่เสี่ยง"),
        ProjectRecord("3. กิจกรรมเดินตรวจจุดเสี่ยงร่วมกับอาสาสมัครชุมชน"),
    )
    assert record.data_sets == (
        DataSetRecord("D05 จำนวนจุดเสี่ยงอาชญากรรม"),
        DataSetRecord("D01 จำนวนประชากรตามทะเบียนราษฎร"),
    )
    assert record.strategy_path[-1] == StrategyStep("1.3.1.2", "ติดตั้งกล้องวงจรปิดและไฟฟ้าส่องสว่างในจุดเสี่ยง")
    # Texts the portal has no value for are kept and reported, not guessed.
    assert (record.indicator_type_text, record.indicator_type) == ("ตัวชี้วัดตามนโยบายผู้ว่าราชการ", None)
    assert (record.result_level_text, record.result_level) == ("ตัวชี้วัดระดับผลผลิต", None)
    assert len(record.warnings) == 2
    assert "ตัวชี้วัดตามนโยบายผู้ว่าราชการ" in record.warnings[0]
    assert "ตัวชี้วัดระดับผลผลิต" in record.warnings[1]


def test_the_mapped_values_are_the_models_choices():
    assert set(INDICATOR_TYPES.values()) <= set(Indicator.Type.values)
    assert set(RESULT_LEVELS.values()) <= set(Indicator.ResultLevel.values)


def test_inconsistencies_are_warned_about_not_guessed():
    text = seed_with(
        line_9="ผลงานที่ทำได้ ระดับ : 90",  # another unit, and the latest result is 100.00
        line_14="7",  # the lone number is not 0
        line_18="*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 2: 95",  # the table gives 100
    )
    record = read(text)

    assert (record.unit_of_measure, record.achieved) == ("ร้อยละ", Decimal(90))
    assert record.verification == Verification(2, Decimal(95))
    with translation.override("en"):
        warnings = read(text).warnings
    assert len(warnings) == 4
    assert "“ระดับ”" in warnings[0] and "“ร้อยละ”" in warnings[0]
    assert "line 14" in warnings[1].lower() and " 7 " in warnings[1]
    assert "quarter 2" in warnings[2] and "95" in warnings[2] and "100" in warnings[2]
    assert "90" in warnings[3] and "100.00" in warnings[3]


@pytest.mark.parametrize(
    "name_line, name, agreement_ref",
    [
        ("(26) แผนปฏิบัติราชการ (2560) : 5016-0685", "แผนปฏิบัติราชการ (2560)", ""),
        ("(26) แผนปฏิบัติราชการ (2560)(3.2) : 5016-0685", "แผนปฏิบัติราชการ (2560)", "3.2"),
        ("(26) อัตรา: ร้อยละ (ราย) (4.1) : 5016-0685", "อัตรา: ร้อยละ (ราย)", "4.1"),
    ],
)
def test_only_a_dotted_item_number_is_the_agreement_ref(name_line, name, agreement_ref):
    record = read(seed_with(line_5=name_line))

    assert (record.name, record.agreement_ref, record.sequence) == (name, agreement_ref, 26)


def test_a_bom_and_old_mac_line_endings_in_text_read_as_the_seed():
    assert read("\ufeff" + SEED_TEXT.replace("\n", "\r")) == read(SEED_TEXT)


# --- unreadable sheets ------------------------------------------------------------------------

TRUNCATED_IN_Q3_NARRATIVE = SEED_TEXT[: SEED_TEXT.index("รายงานผลฯ ไตรมาสที่ 3") + 200]
TRUNCATED_IN_THE_TABLE = "\n".join(SEED_LINES[:34])


@pytest.mark.parametrize(
    "text, section, line",
    [
        (TRUNCATED_IN_Q3_NARRATIVE, "summary", None),
        (TRUNCATED_IN_THE_TABLE, "quarters", 34),
        (
            "\n".join(SEED_LINES[:21] + SEED_LINES[27:]),
            "quarters",
            22,
        ),  # no column headings: "1" is on line 22
        (seed_with(line_29="3O.00"), "quarters", 29),
        (seed_with(line_30="150"), "quarters", 30),
        (seed_with(line_31="100 - 100"), "quarters", 31),
        (seed_with(line_40="5"), "quarters", 40),
        (seed_with(line_36="2"), "quarters", 36),  # quarter 2 twice
        (seed_with(line_33="1e3"), "quarters", 33),
        (seed_with(line_33="NaN"), "quarters", 33),
        (seed_with(line_7="ค่าเป้าหมาย ร้อยละ : ๑OO"), "target", 7),
        (seed_with(line_7="ค่าเป้าหมาย : 100"), "target", 7),
        (seed_with(line_9="ผลงานที่ทำได้ ร้อยละ : -5"), "achieved", 9),
        (seed_with(line_11="ประเภทตัวชี้วัด ตัวชี้วัดงานประจำ"), "type", 11),
        (seed_with(line_18="*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 5: 100"), "verification", 18),
        (seed_with(line_20="ผลงานเทียบกับเป้าหมาย"), "quarters", 20),
        (seed_with(line_49="รายงานผลฯ ไตรมาสที่ 1"), "narratives", 49),
        (seed_with(line_1="Back Home"), "title", 1),
        (seed_with(line_5="(26) ร้อยละความสำเร็จ (Best Service)(3.2)"), "name", 5),
        (seed_with(line_63=None), "definition", None),
        (seed_with(line_77=SEED_LINES[77], line_78=SEED_LINES[76]), "strategy", 77),
        (seed_with(line_75="ด้านที่ ๗ – การบริหารจัดการเมืองมหานคร"), "strategy", 75),
        (seed_with(line_79=":๗.๓.๑.๑.๑ ลึกเกินสี่ระดับ"), "strategy", 79),
        ("", "title", None),
    ],
)
def test_an_unreadable_section_is_named_never_guessed(text, section, line):
    with pytest.raises(OldSheetError) as raised:
        read(text)

    assert (raised.value.section.key, raised.value.line) == (section, line)


def test_the_error_names_the_section_in_thai_and_says_what_was_expected():
    with pytest.raises(OldSheetError) as raised:
        read(seed_with(line_29="3O.00"))

    with translation.override("th"):
        thai = str(raised.value)
    with translation.override("en"):
        english = str(raised.value)
    assert thai.startswith("“ผลงานเทียบกับเป้าหมายรายไตรมาส”")
    assert "บรรทัดที่ 29" in thai and "3O.00" in thai and "ตัวเลข" in thai
    assert english.startswith("“ผลงานเทียบกับเป้าหมายรายไตรมาส”: expected a number")
    assert "line 29" in english


def test_a_file_in_no_known_encoding_is_refused_by_name():
    with pytest.raises(OldSheetError) as raised:
        decode("รายละเอียด".encode("cp874") + b"\xdb\xfc")  # bytes cp874 leaves undefined

    assert raised.value.section.key == "file"
    with translation.override("en"):
        assert "cp874" in str(raised.value)


def test_utf16_with_a_bom_is_read():
    assert decode(SEED_TEXT.encode("utf-16")) == SEED_TEXT


# --- anything else raises only the reader's own error -----------------------------------------

TOKENS = st.sampled_from(
    [
        "0",
        "100",
        "1,000.00",
        "0 / 0",
        "/",
        ":",
        "(",
        ")",
        "*",
        "-",
        "–",
        "๗.๓",
        ".",
        "NaN",
        "1e9",
        "Infinity",
        "ไตรมาสที่",
        "รายงานผลฯ ไตรมาสที่ 9",
        "** สรุปผลการดำเนินงาน **",
        "\r",
        "\n",
        "\ufeff",
        " ",
    ]
)
FRAGMENTS = st.lists(st.one_of(TOKENS, st.text(max_size=5)), max_size=6).map("".join)
LINE = st.integers(min_value=0, max_value=len(SEED_LINES) - 1)
MUTATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("delete"), LINE),
        st.tuples(st.just("duplicate"), LINE),
        st.tuples(st.just("swap"), LINE, LINE),
        st.tuples(st.just("replace"), LINE, FRAGMENTS),
        st.tuples(st.just("insert"), LINE, FRAGMENTS),
        st.tuples(st.just("edit"), LINE, st.integers(min_value=0, max_value=4000), FRAGMENTS),
        st.tuples(st.just("truncate"), st.integers(min_value=0, max_value=len(SEED_TEXT))),
    ),
    min_size=1,
    max_size=4,
)


def mutate(mutations) -> str:
    lines = list(SEED_LINES)
    for kind, *args in mutations:
        if kind == "truncate":
            lines = "\n".join(lines)[: args[0]].split("\n")
            continue
        lines = lines or [""]
        index = min(args[0], len(lines) - 1)
        if kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "swap":
            other = min(args[1], len(lines) - 1)
            lines[index], lines[other] = lines[other], lines[index]
        elif kind == "replace":
            lines[index] = args[1]
        elif kind == "insert":
            lines.insert(index, args[1])
        elif kind == "edit":
            position = min(args[1], len(lines[index]))
            lines[index] = lines[index][:position] + args[2] + lines[index][position + 1 :]
    return "\n".join(lines)


def read_or_refuse(text: str) -> None:
    try:
        record = read(text)
    except OldSheetError as error:
        for language in ("th", "en"):
            with translation.override(language):
                assert str(error)
    else:
        assert isinstance(record, SheetRecord)
        assert all(isinstance(value, str) for value in record.warnings)


@settings(max_examples=50, deadline=None, database=None)
@given(MUTATIONS)
def test_mutations_of_the_seed_raise_nothing_but_the_readers_error(mutations):
    read_or_refuse(mutate(mutations))


@settings(max_examples=25, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_any_bytes_raise_nothing_but_the_readers_error(data):
    try:
        text = decode(data)
    except OldSheetError:
        return
    read_or_refuse(text)
