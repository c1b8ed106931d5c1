"""Read an indicator sheet saved as text from the old system into a ``SheetRecord``.

The old system's detail page ("รายละเอียดตัวชี้วัด"), saved as text, is a sequence of
sections in a fixed order (``tests/data/seed_sheet_000_2dc794069d1136f5.txt`` is one).
The reader walks them in that order. Each line is trimmed of the layout's whitespace
(spaces, tabs, no-break spaces at its ends; Windows or old Mac line endings; a byte
order mark); headings are also compared without the page's emphasis marks (``*``,
``**``, ``***``) and with runs of spaces read as one. Texts are otherwise kept verbatim:
the old system's artefacts ("เชื่%", marks out of order as in "ขึน้") are data.

=====================================================  ==========  ==========================
line(s) on the sheet                                   required    goes to (``SheetRecord``)
=====================================================  ==========  ==========================
``รายละเอียดตัวชี้วัด`` (page title, first line)          yes         —
``Back Home`` (navigation)                             no          dropped
``(26) NAME(3.2) : 5016-0685``                         yes         ``sequence``, ``name``,
                                                                   ``agreement_ref`` (may be
                                                                   absent), ``unit_code``,
                                                                   ``indicator_code``
``ค่าเป้าหมาย UNIT : 1,500,000.00``                      yes         ``unit_of_measure`` (the
                                                                   text, an open vocabulary),
                                                                   ``annual_target``
``ผลงานที่ทำได้ UNIT : 100``                              yes         ``achieved`` (None when
                                                                   blank or "-")
``ประเภทตัวชี้วัด : TYPE``                                 yes         ``indicator_type_text``,
                                                                   ``indicator_type``
``(RESULT LEVEL)`` on the next line                    no          ``result_level_text``,
                                                                   ``result_level``
a lone number ("0": meaning unknown)                   no          dropped
``รายละเอียดตัวชี้วัดฯ : พิมพ์ข้อมูล`` (print link)          no          dropped
``*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 1: 100``       no          ``verification``
``ผลงานเทียบกับเป้าหมายรายไตรมาส``                        yes         —
column headings, six lines: ``ไตรมาสที่`` ``(1 - 4)``   yes         ``criterion_labels``
``*ผลงาน*`` ``(UNIT)`` ``*ผลประเมินตัวชี้วัด*``
``(* 2.1 / 2.2 *)``
rows of four lines: quarter (1-4), result, score,      0 to 4      ``quarters``
criteria "A / B"; quarters in increasing order         rows
``รายงานผลฯ ไตรมาสที่ N`` + text, N increasing           0 to 4      ``QuarterRecord.narrative``
``** สรุปผลการดำเนินงาน **`` + text                       yes (text   ``summary``
                                                       may be
                                                       empty)
``นิยาม หรือความหมายของตัวชี้วัด`` + text                   yes         ``definition``
``วิธีการคำนวณ หรือ เกณฑ์การประเมิน`` + text               yes         ``calculation_method``
``วิธีการการเก็บข้อมูล/แหล่งข้อมูล`` + text                  yes         ``data_source``
``สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ`` + lines ``:CODE TITLE``  yes        ``strategy_path``
``โครงการ/กิจกรรมที่สนับสนุนตัวชี้วัด`` + one line each       yes         ``projects``
``ฐานข้อมูลประกอบตัวชี้วัดการพัฒนาเมือง`` + one line each      yes         ``data_sets``
=====================================================  ==========  ==========================

Mapping rules:

- Numbers: Arabic or Thai digits, optional thousands separators and decimals; read as
  ``Decimal`` as printed ("100.0000" keeps four places). Anything else (a sign, an
  exponent, letters) is refused, never guessed.
- Evaluation: the old system prints 0 for a value nobody entered. A score printed as
  zero ("0", "0.0000") and the criteria pair "0 / 0" are read as not evaluated (None);
  a zero beside a non-zero criterion ("100 / 0") is a real zero. ``printed_score`` and
  ``printed_criteria`` keep what was printed. Scores and criteria lie in 0-100.
  "-" (or an en dash) in a cell is also read as no value.
- Strategy path: the level-1 line reads ``:ด้านที่ ๗ – TITLE``, the level-2 line
  ``:๗.๓ - TITLE``, deeper ones ``:๗.๓.๑ TITLE``; codes become Arabic ("7.3.1"); each
  code extends the one above it; at most four levels; the path may be empty.
- Type and result level: the old system's Thai texts map to ``Indicator.Type`` and
  ``Indicator.ResultLevel`` values (``INDICATOR_TYPES``, ``RESULT_LEVELS``); any other
  text is kept, its value is None and a warning says so.
- Projects and data sets: one per non-blank line, verbatim (the old sheet prints no
  budget and no separate data-set code).
- Warnings (``SheetRecord.warnings``), not errors: unknown type or result level, a unit
  of measure differing between the target, achieved and table lines, a lone number
  other than 0, a verification that disagrees with its quarter's row, an achieved value
  differing from the latest result.

A missing or unreadable required section raises ``OldSheetError`` naming the section
(its Thai heading) and what was expected, with the line number and the text found.
The fiscal year is not printed on the sheet: the caller gives it.
"""

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.thai import to_arabic_digits

from .records import (
    DataSetRecord,
    ProjectRecord,
    QuarterRecord,
    SheetRecord,
    StrategyStep,
    Verification,
)

INDICATOR_TYPES = {
    "ตัวชี้วัดงานประจำ": "routine",
    "ตัวชี้วัดตามแผนยุทธศาสตร์": "strategic",
    "ตัวชี้วัดตามภารกิจ": "mission",
    "ตัวชี้วัดตามนโยบาย": "policy",
}
RESULT_LEVELS = {
    "ตัวชี้วัดระดับผลผลิต (output)": "output",
    "ตัวชี้วัดระดับผลลัพธ์ (outcome)": "outcome",
}
NO_VALUE = {"", "-", "–"}
MAX_NUMBER_LENGTH = 30


@dataclass(frozen=True)
class Section:
    """A part of the sheet: ``label`` is its Thai heading where the sheet prints one."""

    key: str
    label: str | Promise


FILE = Section("file", _("the file"))
TITLE = Section("title", "รายละเอียดตัวชี้วัด")
NAME = Section("name", _("the indicator's name line"))
TARGET = Section("target", "ค่าเป้าหมาย")
ACHIEVED = Section("achieved", "ผลงานที่ทำได้")
TYPE = Section("type", "ประเภทตัวชี้วัด")
VERIFICATION = Section("verification", "สยป. ตรวจประเมินตัวชี้วัด")
QUARTER_TABLE = Section("quarters", "ผลงานเทียบกับเป้าหมายรายไตรมาส")
NARRATIVES = Section("narratives", "รายงานผลฯ ไตรมาสที่")
SUMMARY = Section("summary", "สรุปผลการดำเนินงาน")
DEFINITION = Section("definition", "นิยาม หรือความหมายของตัวชี้วัด")
CALCULATION = Section("calculation_method", "วิธีการคำนวณ หรือ เกณฑ์การประเมิน")
DATA_SOURCE = Section("data_source", "วิธีการการเก็บข้อมูล/แหล่งข้อมูล")
STRATEGY = Section("strategy", "สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ")
PROJECTS = Section("projects", "โครงการ/กิจกรรมที่สนับสนุนตัวชี้วัด")
DATA_SETS = Section("data_sets", "ฐานข้อมูลประกอบตัวชี้วัดการพัฒนาเมือง")

PRINT_CONTROL = "รายละเอียดตัวชี้วัดฯ"
NAVIGATION = {"Back Home", "Back", "Home"}
TABLE_COLUMNS = ("ไตรมาสที่", "(1-4)", "ผลงาน", None, "ผลประเมินตัวชี้วัด", None)

EXPECT_NUMBER = _("a number such as 30.00 or 1,500,000.00")
EXPECT_SCORE = _("a score from 0 to 100")


def expect_heading(section: Section):
    return format_lazy(_("the heading “{heading}”"), heading=section.label)


class OldSheetError(ValueError):
    """A sheet the reader cannot read: which section, what it expected, where."""

    def __init__(self, section: Section, expected, line: int | None = None, found: str | None = None):
        super().__init__(section.key, line)
        self.section = section
        self.expected = expected
        self.line = line
        self.found = found

    def __str__(self):
        message = gettext("“%(section)s”: expected %(expected)s") % {
            "section": self.section.label,
            "expected": self.expected,
        }
        if self.line is None:
            return message + " " + gettext("(the file ends before it)")
        found = self.found if len(self.found or "") <= 80 else self.found[:80] + "…"
        return message + " " + gettext("(line %(line)d: “%(found)s”)") % {"line": self.line, "found": found}


@dataclass(frozen=True)
class Line:
    number: int
    text: str

    @property
    def heading(self) -> str:
        """The line as a heading: without emphasis marks, spaces collapsed."""
        return " ".join(self.text.strip("*").split())


class Lines:
    """The sheet's trimmed lines and a position that only moves forward."""

    def __init__(self, text: str):
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        self.lines = [Line(number, line.strip()) for number, line in enumerate(text.split("\n"), start=1)]
        self.position = 0

    def peek(self) -> Line | None:
        """The next non-blank line, not taken."""
        while self.position < len(self.lines) and not self.lines[self.position].text:
            self.position += 1
        return self.lines[self.position] if self.position < len(self.lines) else None

    def take(self, section: Section, expected) -> Line:
        """The next non-blank line; the sheet must not end here."""
        line = self.peek()
        if line is None:
            raise OldSheetError(section, expected)
        self.position += 1
        return line

    def take_heading(self, section: Section) -> None:
        line = self.take(section, expect_heading(section))
        if line.heading != section.label:
            raise OldSheetError(section, expect_heading(section), line.number, line.text)

    def take_until(self, stop) -> tuple[list[Line], Line | None]:
        """Every line up to the first for which ``stop(line)`` holds (not taken), and that line."""
        taken = []
        while self.position < len(self.lines):
            line = self.lines[self.position]
            if line.text and stop(line):
                return taken, line
            taken.append(line)
            self.position += 1
        return taken, None

    def take_section_text(self, following: Section) -> list[Line]:
        """The content up to ``following``'s heading, then that heading."""
        content, stop = self.take_until(lambda line: line.heading == following.label)
        if stop is None:
            raise OldSheetError(following, expect_heading(following))
        self.position += 1
        return content


def read_old_sheet(text: str, *, fiscal_year: int) -> SheetRecord:
    """The sheet in ``text`` (saved from the old system) for ``fiscal_year`` (B.E.)."""
    lines = Lines(text)
    warnings: list[str] = []
    read_title(lines)
    sequence, name, agreement_ref, unit_code, indicator_code = read_name_line(lines)
    unit, annual_target = read_target(lines)
    achieved = read_achieved(lines, unit, warnings)
    type_text, level_text = read_type(lines)
    indicator_type = mapped(INDICATOR_TYPES, type_text, gettext("indicator type"), warnings)
    result_level = (
        mapped(RESULT_LEVELS, level_text, gettext("result level"), warnings) if level_text else None
    )
    skip_controls(lines, warnings)
    verification = read_verification(lines)
    criterion_labels, rows = read_quarter_table(lines, unit, warnings)
    narratives = read_narratives(lines)
    summary = text_of(lines.take_section_text(DEFINITION))
    definition = text_of(lines.take_section_text(CALCULATION))
    calculation_method = text_of(lines.take_section_text(DATA_SOURCE))
    data_source = text_of(lines.take_section_text(STRATEGY))
    strategy_path = read_strategy_path(lines.take_section_text(PROJECTS))
    projects = tuple(ProjectRecord(line.text) for line in lines.take_section_text(DATA_SETS) if line.text)
    data_sets = tuple(DataSetRecord(line.text) for line in lines.lines[lines.position :] if line.text)
    quarters = merge_quarters(rows, narratives)
    check_consistency(quarters, verification, achieved, warnings)
    return SheetRecord(
        fiscal_year=fiscal_year,
        sequence=sequence,
        name=name,
        agreement_ref=agreement_ref,
        unit_code=unit_code,
        indicator_code=indicator_code,
        unit_of_measure=unit,
        annual_target=annual_target,
        achieved=achieved,
        indicator_type_text=type_text,
        indicator_type=indicator_type,
        result_level_text=level_text,
        result_level=result_level,
        verification=verification,
        criterion_labels=criterion_labels,
        quarters=quarters,
        summary=summary,
        definition=definition,
        calculation_method=calculation_method,
        data_source=data_source,
        strategy_path=strategy_path,
        projects=projects,
        data_sets=data_sets,
        warnings=tuple(warnings),
    )


def read_old_sheet_file(path, *, fiscal_year: int) -> SheetRecord:
    """The sheet saved in the file at ``path``: UTF-8 (with or without a BOM), UTF-16 with
    a BOM, or Windows Thai (cp874, a superset of TIS-620)."""
    return read_old_sheet(decode(Path(path).read_bytes()), fiscal_year=fiscal_year)


def decode(data: bytes) -> str:
    """Text from bytes: a BOM decides; else UTF-8 if the bytes are valid UTF-8 (Thai in
    cp874 practically never is), else cp874."""
    encodings = ["utf-8"]
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings.append("cp874")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OldSheetError(FILE, _("text in UTF-8 or Windows Thai (cp874, TIS-620)"))


# --- the sections, top to bottom ---------------------------------------------------------


def read_title(lines: Lines) -> None:
    line = lines.take(TITLE, _("the page title on the first line"))
    if line.heading != TITLE.label:
        raise OldSheetError(TITLE, _("the page title on the first line"), line.number, line.text)
    while (line := lines.peek()) is not None and line.heading in NAVIGATION:
        lines.position += 1


NAME_LINE = re.compile(
    r"\((?P<sequence>[0-9]+)\)\s*(?P<name>.+?)\s*(?:\((?P<agreement_ref>[0-9]+(?:\.[0-9]+)+)\))?"
    r"\s*:\s*(?P<unit_code>[0-9A-Za-z]+)-(?P<indicator_code>[0-9A-Za-z]+)"
)


def read_name_line(lines: Lines) -> tuple[int, str, str, str, str]:
    """``(26) NAME(3.2) : 5016-0685``: the name keeps its own parentheses ("(New) …", "(ตัว)")."""
    expected = _("“(sequence) name(agreement item) : unit code-indicator code”")
    line = lines.take(NAME, expected)
    match = NAME_LINE.fullmatch(to_arabic_digits(line.text))
    if match is None:
        raise OldSheetError(NAME, expected, line.number, line.text)
    # The name is cut from the original text: digits in it stay as printed.
    name = line.text[match.start("name") : match.end("name")]
    return (
        int(match["sequence"]),
        name,
        match["agreement_ref"] or "",
        match["unit_code"],
        match["indicator_code"],
    )


def labelled_value(lines: Lines, section: Section, expected) -> tuple[Line, str, str]:
    """``LABEL TEXT : VALUE`` → (line, TEXT, VALUE)."""
    line = lines.take(section, expected)
    head, colon, value = line.text.rpartition(":")
    if not colon or not head.startswith(section.label):
        raise OldSheetError(section, expected, line.number, line.text)
    return line, head.removeprefix(section.label).strip(), value.strip()


def read_target(lines: Lines) -> tuple[str, Decimal]:
    expected = _("“ค่าเป้าหมาย <unit of measure> : <number>”")
    line, unit, value = labelled_value(lines, TARGET, expected)
    if not unit:
        raise OldSheetError(TARGET, expected, line.number, line.text)
    return unit, number(value, TARGET, line)


def read_achieved(lines: Lines, unit: str, warnings: list[str]) -> Decimal | None:
    expected = _("“ผลงานที่ทำได้ <unit of measure> : <number>”")
    line, achieved_unit, value = labelled_value(lines, ACHIEVED, expected)
    if achieved_unit != unit:
        warnings.append(different_units(ACHIEVED, achieved_unit, unit))
    return optional_number(value, ACHIEVED, line)


def read_type(lines: Lines) -> tuple[str, str]:
    """The type after ``ประเภทตัวชี้วัด :`` and, on the next line in parentheses, the result level."""
    expected = _("“ประเภทตัวชี้วัด : <indicator type>”")
    line = lines.take(TYPE, expected)
    after_label = line.text.removeprefix(TYPE.label).lstrip()
    if not line.text.startswith(TYPE.label) or not after_label.startswith(":"):
        raise OldSheetError(TYPE, expected, line.number, line.text)
    type_text = after_label[1:].strip()
    level_text = ""
    following = lines.peek()
    if following is not None and following.text.startswith("(") and following.text.endswith(")"):
        level_text = following.text[1:-1].strip()
        lines.position += 1
    return type_text, level_text


def skip_controls(lines: Lines, warnings: list[str]) -> None:
    """Drop the lone number (meaning unknown) and the print link."""
    while (line := lines.peek()) is not None:
        if re.fullmatch(r"[0-9]+", line.text):
            if line.text != "0":
                warnings.append(
                    gettext("Line %(line)d: the lone number %(number)s was left out.")
                    % {"line": line.number, "number": line.text}
                )
        elif not line.heading.startswith(PRINT_CONTROL):
            return
        lines.position += 1


VERIFIED_QUARTER = re.compile(r"ไตรมาสที่\s*(?P<quarter>[1-4])\s*:\s*(?P<score>.*)")


def read_verification(lines: Lines) -> Verification | None:
    """``สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 3: 87.5000``, or no value, or no line at all."""
    line = lines.peek()
    if line is None or not line.heading.startswith(VERIFICATION.label):
        return None
    lines.position += 1
    expected = _("“สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ <1-4>: <score>” or no value")
    head, colon, value = line.heading.partition(":")
    if not colon or head.strip() != VERIFICATION.label:
        raise OldSheetError(VERIFICATION, expected, line.number, line.text)
    value = to_arabic_digits(value.strip())
    if value in NO_VALUE:
        return None
    match = VERIFIED_QUARTER.fullmatch(value)
    if match is None:
        raise OldSheetError(VERIFICATION, expected, line.number, line.text)
    score = match["score"].strip()
    score = None if score in NO_VALUE else score_value(score, VERIFICATION, line)
    return Verification(int(match["quarter"]), score)


def read_quarter_table(lines: Lines, unit: str, warnings: list[str]):
    """The heading, six lines of column headings, then rows of four lines."""
    lines.take_heading(QUARTER_TABLE)
    criterion_labels = read_table_columns(lines, unit, warnings)
    content, stop = lines.take_until(ends_quarter_part)
    cells = [line for line in content if line.text]
    if len(cells) % 4:
        last = cells[-1] if cells else None
        raise OldSheetError(
            QUARTER_TABLE,
            _("rows of four lines: quarter (1-4), result, score, criteria “A / B”"),
            last.number if last else None,
            last.text if last else None,
        )
    rows = [read_quarter_row(cells[start : start + 4]) for start in range(0, len(cells), 4)]
    check_increasing([(row.quarter, cells[4 * index]) for index, row in enumerate(rows)], QUARTER_TABLE)
    if stop is None:
        raise OldSheetError(SUMMARY, expect_heading(SUMMARY))
    return criterion_labels, rows


def read_table_columns(lines: Lines, unit: str, warnings: list[str]) -> tuple[str, str]:
    expected = _("the column headings ไตรมาสที่ (1 - 4), ผลงาน (unit), ผลประเมินตัวชี้วัด (2.1 / 2.2)")
    headings = [lines.take(QUARTER_TABLE, expected) for _column in TABLE_COLUMNS]
    for line, column in zip(headings, TABLE_COLUMNS, strict=True):
        bare = line.heading.replace(" ", "")
        wrapped = bare.startswith("(") and bare.endswith(")")
        if (column is None and not wrapped) or (column is not None and bare != column):
            raise OldSheetError(QUARTER_TABLE, expected, line.number, line.text)
    table_unit = headings[3].heading[1:-1].strip()
    if table_unit != unit:
        warnings.append(different_units(QUARTER_TABLE, table_unit, unit))
    labels = headings[5].heading[1:-1].strip().strip("*").split("/")
    if len(labels) != 2 or not all(label.strip() for label in labels):
        raise OldSheetError(QUARTER_TABLE, expected, headings[5].number, headings[5].text)
    return labels[0].strip(), labels[1].strip()


def read_quarter_row(cells: list[Line]) -> QuarterRecord:
    quarter_line, result_line, score_line, criteria_line = cells
    quarter = to_arabic_digits(quarter_line.text)
    if quarter not in {"1", "2", "3", "4"}:
        expected = _("a quarter number from 1 to 4")
        raise OldSheetError(QUARTER_TABLE, expected, quarter_line.number, quarter_line.text)
    score = None if score_line.text in NO_VALUE else score_value(score_line.text, QUARTER_TABLE, score_line)
    criterion_1, criterion_2 = read_criteria(criteria_line)
    return QuarterRecord(
        quarter=int(quarter),
        result=optional_number(result_line.text, QUARTER_TABLE, result_line),
        # The old system prints 0 for a score nobody entered.
        score=score if score else None,
        criterion_1=criterion_1,
        criterion_2=criterion_2,
        printed_score=score_line.text,
        printed_criteria=criteria_line.text,
    )


def read_criteria(line: Line) -> tuple[Decimal | None, Decimal | None]:
    """``A / B``; "0 / 0" (or "-") is the old system's "not evaluated"."""
    if line.text in NO_VALUE:
        return None, None
    first, slash, second = line.text.partition("/")
    if not slash:
        raise OldSheetError(QUARTER_TABLE, _("the criteria “A / B”, e.g. 100 / 100"), line.number, line.text)
    criteria = score_value(first, QUARTER_TABLE, line), score_value(second, QUARTER_TABLE, line)
    return (None, None) if criteria == (0, 0) else criteria


NARRATIVE_HEADING = re.compile(r"รายงานผลฯ ไตรมาสที่\s*(?P<quarter>\S*)")


def is_narrative_heading(line: Line) -> bool:
    return NARRATIVE_HEADING.fullmatch(line.heading) is not None


def ends_quarter_part(line: Line) -> bool:
    """The table and the narratives end at a narrative's heading or the summary's."""
    return is_narrative_heading(line) or line.heading == SUMMARY.label


def read_narratives(lines: Lines) -> dict[int, str]:
    """Each ``รายงานผลฯ ไตรมาสที่ N`` and its text, then the summary's heading."""
    narratives, headings = {}, []
    while (heading := lines.peek()) is not None and is_narrative_heading(heading):
        lines.position += 1
        quarter = to_arabic_digits(NARRATIVE_HEADING.fullmatch(heading.heading)["quarter"])
        if quarter not in {"1", "2", "3", "4"}:
            expected = _("“รายงานผลฯ ไตรมาสที่ N”, N from 1 to 4")
            raise OldSheetError(NARRATIVES, expected, heading.number, heading.text)
        headings.append((int(quarter), heading))
        content, _stop = lines.take_until(ends_quarter_part)
        narratives[int(quarter)] = text_of(content)
    check_increasing(headings, NARRATIVES)
    lines.take_heading(SUMMARY)
    return narratives


STRATEGY_LINE = re.compile(r":\s*(?:ด้านที่\s*)?(?P<code>[0-9]+(?:\.[0-9]+)*)(?:\s*[-–]\s*|\s+)(?P<title>\S.*)")


def read_strategy_path(content: list[Line]) -> tuple[StrategyStep, ...]:
    """Lines ``:CODE TITLE``, root first; each code one level below the one before."""
    expected = _("lines “:code title”, each code one level below the one before, at most four levels")
    steps = []
    for line in (line for line in content if line.text):
        match = STRATEGY_LINE.fullmatch(to_arabic_digits(line.text))
        parent = steps[-1].code + "." if steps else ""
        if match is None or not match["code"].startswith(parent) or match["code"].count(".") != len(steps):
            raise OldSheetError(STRATEGY, expected, line.number, line.text)
        if len(steps) == 4:
            raise OldSheetError(STRATEGY, expected, line.number, line.text)
        # The title is cut from the original text: Thai digits in it stay as printed.
        steps.append(StrategyStep(match["code"], line.text[match.start("title") :]))
    return tuple(steps)


# --- values ---------------------------------------------------------------------------------

NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")


def number(text: str, section: Section, line: Line) -> Decimal:
    """A printed number: Arabic or Thai digits, thousands separators, decimals."""
    plain = to_arabic_digits(text.strip())
    if len(plain) > MAX_NUMBER_LENGTH or not NUMBER.fullmatch(plain):
        raise OldSheetError(section, EXPECT_NUMBER, line.number, line.text)
    return Decimal(plain.replace(",", ""))


def optional_number(text: str, section: Section, line: Line) -> Decimal | None:
    return None if text.strip() in NO_VALUE else number(text, section, line)


def score_value(text: str, section: Section, line: Line) -> Decimal:
    value = number(text, section, line)
    if value > 100:
        raise OldSheetError(section, EXPECT_SCORE, line.number, line.text)
    return value


def text_of(content: list[Line]) -> str:
    """A section's text: its lines as printed, without the blank lines around it."""
    texts = [line.text for line in content]
    while texts and not texts[0]:
        texts.pop(0)
    while texts and not texts[-1]:
        texts.pop()
    return "\n".join(texts)


def check_increasing(quarters: list[tuple[int, Line]], section: Section) -> None:
    previous = 0
    for quarter, line in quarters:
        if quarter <= previous:
            raise OldSheetError(section, _("quarters in increasing order, each once"), line.number, line.text)
        previous = quarter


def merge_quarters(rows: list[QuarterRecord], narratives: dict[int, str]) -> tuple[QuarterRecord, ...]:
    """A quarter is on the sheet if it has a row in the table or a narrative."""
    by_quarter = {row.quarter: row for row in rows}
    quarters = []
    for quarter in sorted(by_quarter.keys() | narratives.keys()):
        row = by_quarter.get(quarter, QuarterRecord(quarter))
        quarters.append(dataclasses.replace(row, narrative=narratives.get(quarter, "")))
    return tuple(quarters)


# --- warnings -------------------------------------------------------------------------------


def mapped(known: dict[str, str], text: str, what: str, warnings: list[str]) -> str | None:
    value = known.get(" ".join(text.split()))
    if value is None:
        warnings.append(
            gettext("Unknown %(what)s “%(text)s”: kept as text, to be chosen on import.")
            % {"what": what, "text": text}
        )
    return value


def different_units(section: Section, printed: str, unit: str) -> str:
    return gettext("“%(section)s” gives the unit of measure “%(printed)s”, the target “%(unit)s”.") % {
        "section": section.label,
        "printed": printed,
        "unit": unit,
    }


def check_consistency(quarters, verification, achieved, warnings: list[str]) -> None:
    if verification is not None:
        row = next((row for row in quarters if row.quarter == verification.quarter), None)
        printed = None
        if row is not None and row.printed_score not in NO_VALUE:
            printed = Decimal(to_arabic_digits(row.printed_score).replace(",", ""))
        if printed != verification.score:
            message = gettext(
                "The verification gives quarter %(quarter)d the score %(score)s; the table gives %(row)s."
            )
            values = {
                "quarter": verification.quarter,
                "score": verification.score or "–",
                "row": printed or "–",
            }
            warnings.append(message % values)
    results = [row.result for row in quarters if row.result is not None]
    if achieved is not None and results and results[-1] != achieved:
        message = gettext("The achieved value %(achieved)s differs from the latest result %(result)s.")
        warnings.append(message % {"achieved": achieved, "result": results[-1]})
