"""Import and export of indicators with their quarter targets, as .xlsx or .csv.

One column layout, ``COLUMNS``, serves the import, the export and the blank template
(``/indicators/import-template.xlsx/``; its second sheet describes every column).

File layout
    Row 1 holds the column keys below (English; case and spaces around them do not
    matter, and a column's Thai or English label is accepted in place of its key).
    Row 2 may repeat the labels, as the template and the export write them: it is
    skipped when its ``fiscal_year`` cell is that column's label. Every further row is
    one indicator; blank rows are skipped; columns may come in any order. Errors name
    rows and columns as Excel shows them. In a workbook the first sheet is read. A
    .csv file is UTF-8 (with or without a BOM: Excel's "CSV UTF-8"), else Windows
    Thai (cp874 / TIS-620: what Excel's plain "CSV" writes on Thai Windows).

Columns (* required: the column must be there and its cells filled)
    fiscal_year*      Buddhist-Era year (2568); the fiscal year must exist
    unit_code*        unit code (5016); the unit must exist
    unit_name         for reading; ignored by the import
    indicator_code*   (0685). fiscal_year + unit_code + indicator_code identify an
                      indicator (the model's unique constraint): importing it again
                      updates it
    sequence*         whole number from 1
    agreement_ref     performance-agreement item (3.2)
    name*             indicator name
    annual_target*    number >= 0, at most 2 decimal places
    unit_of_measure*  percent, count, level, baht, times, cases, days, score, or the label (ร้อยละ …)
    indicator_type*   routine, strategic, mission, policy, or the label
    result_level      output, outcome, or the label; blank: none
    direction         higher, lower, or the label; blank: higher is better
    is_cumulative     yes/no (also 1/0, true/false, ใช่/ไม่ใช่); blank: yes
    definition, calculation_method, data_source    text
    strategy_code     a strategy-tree code in Arabic or Thai digits (7.3.1.1, ๗.๓.๑.๑); must exist
    target_q1 … target_q4   planned (cumulative) quarter targets, numbers >= 0

    The export adds read-only columns that the import ignores, so that an export can
    be imported again: result_q1…4, status_q1…4, score_q1…4, criterion_1_q1…4 and
    criterion_2_q1…4 (the year's criteria 2.1 and 2.2).

Choices
    - Unknown fiscal years, units and strategy codes are errors, never created: they
      carry more than a row can say (deadlines and locks; kind, parent and members;
      the tree), and a typo would create a phantom unit nobody can see.
    - Everything is validated first; if any cell is wrong nothing is written. Then one
      transaction writes all rows, in bulk. Changes keep their history (django-simple-
      history; the user is the importing administrator, none for the command); rows
      that change nothing write nothing.
    - An optional column left out of the file is left alone on update (and takes its
      default on creation). Where a target column is present, a blank cell removes
      that quarter's target: the row is what the indicator becomes. Indicators that
      are not in the file are never deleted.
    - A cell with a formula is read as the value Excel computed and saved with it
      (what Excel shows). A formula saved without its value (files written by a
      program, e.g. openpyxl writing "=A1*2") and a cell showing an error (#REF!,
      #N/A) are errors naming the cell: read as blank, such a cell would remove a
      target. Cells are streamed one at a time from the sheet's XML with openpyxl's
      own cell reading, so that one pass sees both the value and the formula.
    - Text with control characters (NUL and the like, except tab and line breaks) is
      an error naming the cell: PostgreSQL cannot store NUL, and none of them belongs
      in an indicator.
    - An .xlsx is a zip archive: before openpyxl opens it, its directory is checked
      against the IMPORT_XLSX_* settings (number of parts, unpacked sizes, packing
      ratio, number of shared strings), so that a small file that unpacks to
      gigabytes or millions of strings (a zip bomb) is refused in a moment.

CSV and formulas
    A spreadsheet opening a CSV runs a cell starting with =, +, -, @, tab or carriage
    return as a formula. The export writes such text with a leading apostrophe
    (OWASP's advice on CSV injection); numbers are written as numbers ("-5"). The
    import reads an apostrophe followed by one of those characters as the text
    without it, so an export imports back as it was; to keep that exact, text that
    already starts with apostrophes before such a character gets one more (in the
    .xlsx too, whose typed cells need no other protection).
"""

import csv
import datetime
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.manifest import Manifest
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS, SHEET_MAIN_NS, WORKSHEET_TYPE
from openpyxl.xml.functions import fromstring, iterparse
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from indicators import audit, thai
from indicators.models import QUARTERS, FiscalYear, Indicator, OrgUnit, QuarterTarget, StrategyNode
from reports.models import AuditScore, QuarterReport

MAX_ROWS = 20_000
MAX_COLUMNS = 200  # far more than the layout has: what lies beyond is not read
BATCH = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
# DecimalField(max_digits=16, decimal_places=2) holds 10**14, but SQLite keeps decimals as
# floats, exact to 15 digits: Django then fails reading back 99999999999999.99. 15 digits
# (ten trillion) hold on both databases.
MAX_TARGET = Decimal(10) ** 13
MAX_SMALL_INT = 32767  # PositiveSmallIntegerField
DEFAULT_CRITERIA = ("2.1", "2.2")


class ImportFileError(Exception):
    """The file as a whole cannot be read; ``str(error)`` says why, for the user."""


class CellError(ValueError):
    """A cell's value is wrong; the message is for the user."""


@dataclass(frozen=True)
class UnreadableCell:
    """A workbook cell whose value cannot be taken as it is (a formula saved without its
    value, or an error such as #REF!); ``message`` names the cell, for the user."""

    message: str


# ---------------------------------------------------------------------------
# Reading cells
# ---------------------------------------------------------------------------

# C0 and C1 control characters except tab, line feed and carriage return, and lone
# surrogates: PostgreSQL refuses NUL and surrogates; the others have no place in text.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# What makes a spreadsheet run a CSV cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def control_character_error(text: str) -> CellError | None:
    found = CONTROL_CHARACTER.search(text)
    if found is None:
        return None
    return CellError(
        gettext("The cell holds a control character (%(code)s) that cannot be saved: delete it.")
        % {"code": f"U+{ord(found.group()):04X}"}
    )


def neutralised(text: str) -> str:
    """Text that a spreadsheet would run as a formula, behind an apostrophe (OWASP)."""
    return f"'{text}" if text.lstrip("'").startswith(FORMULA_STARTS) else text


def unquoted(text: str) -> str:
    """The inverse of ``neutralised``: the text as it was before the export wrote it."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell as text: Excel gives numbers for digit-only cells (0685 typed into a
    "General" cell arrives as 685: the template formats code columns as text)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        raise CellError(
            gettext("Excel turned this cell into a date: format the column as text and type it again.")
        )
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def folded(value) -> str:
    """The form in which keys, labels and choices are compared."""
    return " ".join(str(value).split()).casefold()


def parse_text(max_length: int | None = None) -> Callable:
    def parse(value) -> str:
        text = cell_text(value)
        if max_length is not None and len(text) > max_length:
            raise CellError(
                gettext("At most %(max)d characters (this cell has %(length)d).")
                % {"max": max_length, "length": len(text)}
            )
        return text

    return parse


def parse_code(value) -> str:
    """A code of the strategy tree or a unit: Thai digits are read as Arabic ones."""
    return thai.to_arabic_digits(cell_text(value))


def parse_decimal(value) -> Decimal:
    """A number >= 0 with at most 2 decimal places, as Decimal (never float)."""
    not_a_number = CellError(gettext("Enter a number, for example 75 or 75.50."))
    if isinstance(value, bool | datetime.datetime | datetime.date | datetime.time):
        raise not_a_number
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        try:
            number = Decimal(thai.to_arabic_digits(str(value)).strip().replace(",", "").replace(" ", ""))
        except InvalidOperation:
            raise not_a_number from None
    if not number.is_finite():  # NaN, Infinity
        raise not_a_number
    if number < 0:
        raise CellError(gettext("The number must not be negative."))
    if number >= MAX_TARGET:  # 1e400 too: checked before quantize, which would overflow
        raise CellError(gettext("The number is too large."))
    rounded = number.quantize(Decimal("0.01"))
    if isinstance(value, float) and abs(number - rounded) < Decimal("1e-9"):
        # Excel stores 0.1 + 0.2 as 0.30000000000000004: drop binary noise, keep real places.
        number = rounded
    if number != rounded:
        raise CellError(gettext("At most 2 decimal places."))
    return abs(rounded)  # "-0" is 0; "1E+2" is 100.00


def parse_whole(minimum: int, maximum: int = MAX_SMALL_INT) -> Callable:
    def parse(value) -> int:
        try:
            number = parse_decimal(value)
        except CellError:
            number = None
        if number is None or number != number.to_integral_value() or not minimum <= number <= maximum:
            raise CellError(
                gettext("Enter a whole number from %(min)d to %(max)d.") % {"min": minimum, "max": maximum}
            )
        return int(number)

    return parse


def parse_fiscal_year(value) -> int:
    try:
        return parse_whole(2500)(value)
    except CellError:
        raise CellError(gettext("Enter a Buddhist-Era year, for example 2568.")) from None


@cache
def choice_names(choices) -> dict[str, str]:
    """Every accepted spelling of each choice: its value and its Thai and English labels."""
    names = {}
    for language in ("en", "th"):
        with translation.override(language):
            for value, label in choices.choices:
                names[folded(label)] = value
    for value in choices.values:
        names[folded(value)] = value
    return names


def parse_choice(choices) -> Callable:
    def parse(value) -> str:
        chosen = choice_names(choices).get(folded(cell_text(value)))
        if chosen is None:
            allowed = ", ".join(f"{value} ({label})" for value, label in choices.choices)
            raise CellError(gettext("Not one of the allowed values: %(allowed)s.") % {"allowed": allowed})
        return chosen

    return parse


@cache
def yes_no_names() -> tuple[set, set]:
    """What a yes/no cell may say, in either language (the export writes the label)."""
    yes, no = {"1", "yes", "y", "true", "ใช่", "สะสม"}, {"0", "no", "n", "false", "ไม่ใช่", "ไม่", "ไม่สะสม"}
    for language in ("en", "th"):
        with translation.override(language):
            yes.add(folded(gettext("yes")))
            no.add(folded(gettext("no")))
    return yes, no


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = folded(cell_text(value))
    yes, no = yes_no_names()
    if text in yes:
        return True
    if text in no:
        return False
    raise CellError(gettext("Enter yes or no."))


def yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


# ---------------------------------------------------------------------------
# The column layout
# ---------------------------------------------------------------------------


@dataclass
class ExportRow:
    """One indicator with its quarters, as the export writes it."""

    indicator: Indicator
    targets: dict = field(default_factory=dict)
    reports: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    key: str
    label: Callable  # (criterion labels) -> str, in the active language
    value: Callable  # ExportRow -> cell value
    parse: Callable | None = None  # None: read-only, the import ignores it
    attname: str = ""  # the Indicator attribute the import sets ("" for targets)
    required: bool = False
    lookup: str = ""  # "fiscal_year", "org_unit" or "strategy_node": resolved after parsing
    quarter: int = 0  # for target_qN
    text: bool = False  # written as text, so Excel keeps leading zeros
    width: int = 12
    help: Callable = str  # () -> str: what to enter, for the template's second sheet

    @property
    def imported(self) -> bool:
        return self.parse is not None

    def heading(self, criteria=DEFAULT_CRITERIA) -> str:
        return str(self.label(criteria))


def verbose(name: str) -> Callable:
    """A column labelled like the model field it fills."""
    return lambda criteria: Indicator._meta.get_field(name).verbose_name


def fixed(text) -> Callable:
    return lambda *args: text


def choices_help(choices, blank=None) -> Callable:
    def help_text():
        allowed = ", ".join(f"{value} ({label})" for value, label in choices.choices)
        text = gettext("One of: %(allowed)s.") % {"allowed": allowed}
        return f"{text} {blank}" if blank else text

    return help_text


def field_value(name: str) -> Callable:
    return lambda row: getattr(row.indicator, name)


def display_value(name: str) -> Callable:
    return lambda row: getattr(row.indicator, f"get_{name}_display")() if getattr(row.indicator, name) else ""


NUMBER_HELP = _("A number, 0 or more, with at most 2 decimal places.")
FORMULAS_HELP = _(
    "A cell with a formula is read as the value Excel shows: open and save in Excel a file "
    "that a program wrote, before importing it."
)
TEXT_HELP = _("Text; line breaks are kept.")

REGISTRY_COLUMNS = [
    Column(
        "fiscal_year",
        fixed(_("fiscal year (B.E.)")),
        lambda row: row.indicator.fiscal_year.year,
        parse_fiscal_year,
        "fiscal_year_id",
        required=True,
        lookup="fiscal_year",
        width=10,
        help=fixed(_("Buddhist-Era year, e.g. 2568; the fiscal year must exist.")),
    ),
    Column(
        "unit_code",
        fixed(_("unit code")),
        lambda row: row.indicator.org_unit.code,
        parse_code,
        "org_unit_id",
        required=True,
        lookup="org_unit",
        text=True,
        width=10,
        help=fixed(_("e.g. 5016; the unit must exist.")),
    ),
    Column(
        "unit_name",
        fixed(_("unit name")),
        lambda row: row.indicator.org_unit.name,
        width=30,
        help=fixed(_("For reading only: the import ignores it.")),
    ),
    Column(
        "indicator_code",
        verbose("code"),
        field_value("code"),
        parse_text(Indicator._meta.get_field("code").max_length),
        "code",
        required=True,
        text=True,
        width=10,
        help=fixed(
            _(
                "e.g. 0685. With the fiscal year and the unit it identifies the indicator: "
                "importing it again updates it."
            )
        ),
    ),
    Column(
        "sequence",
        verbose("sequence"),
        field_value("sequence"),
        parse_whole(1),
        "sequence",
        required=True,
        width=8,
        help=fixed(_("A whole number from 1: the indicator's number in its unit's list.")),
    ),
    Column(
        "agreement_ref",
        verbose("agreement_ref"),
        field_value("agreement_ref"),
        parse_text(Indicator._meta.get_field("agreement_ref").max_length),
        "agreement_ref",
        text=True,
        width=10,
        help=fixed(_("e.g. 3.2")),
    ),
    Column(
        "name",
        verbose("name"),
        field_value("name"),
        parse_text(),
        "name",
        required=True,
        width=60,
        help=fixed(TEXT_HELP),
    ),
    Column(
        "annual_target",
        verbose("annual_target"),
        field_value("annual_target"),
        parse_decimal,
        "annual_target",
        required=True,
        help=fixed(NUMBER_HELP),
    ),
    Column(
        "unit_of_measure",
        verbose("unit_of_measure"),
        display_value("unit_of_measure"),
        parse_choice(Indicator.UnitOfMeasure),
        "unit_of_measure",
        required=True,
        help=choices_help(Indicator.UnitOfMeasure),
    ),
    Column(
        "indicator_type",
        verbose("indicator_type"),
        display_value("indicator_type"),
        parse_choice(Indicator.Type),
        "indicator_type",
        required=True,
        width=24,
        help=choices_help(Indicator.Type),
    ),
    Column(
        "result_level",
        verbose("result_level"),
        display_value("result_level"),
        parse_choice(Indicator.ResultLevel),
        "result_level",
        width=24,
        help=choices_help(Indicator.ResultLevel, _("Blank: none.")),
    ),
    Column(
        "direction",
        verbose("direction"),
        display_value("direction"),
        parse_choice(Indicator.Direction),
        "direction",
        help=choices_help(Indicator.Direction, _("Blank: higher is better.")),
    ),
    Column(
        "is_cumulative",
        verbose("is_cumulative"),
        lambda row: yes_no(row.indicator.is_cumulative),
        parse_bool,
        "is_cumulative",
        width=10,
        help=fixed(_("yes or no (also 1/0); blank: yes.")),
    ),
    Column(
        "definition",
        verbose("definition"),
        field_value("definition"),
        parse_text(),
        "definition",
        width=40,
        help=fixed(TEXT_HELP),
    ),
    Column(
        "calculation_method",
        verbose("calculation_method"),
        field_value("calculation_method"),
        parse_text(),
        "calculation_method",
        width=40,
        help=fixed(TEXT_HELP),
    ),
    Column(
        "data_source",
        verbose("data_source"),
        field_value("data_source"),
        parse_text(),
        "data_source",
        width=40,
        help=fixed(TEXT_HELP),
    ),
    Column(
        "strategy_code",
        fixed(_("strategy code")),
        lambda row: row.indicator.strategy_node.code if row.indicator.strategy_node_id else "",
        parse_code,
        "strategy_node_id",
        lookup="strategy_node",
        text=True,
        help=fixed(_("A code of the city's strategy tree, e.g. 7.3.1.1 or ๗.๓.๑.๑; blank: none.")),
    ),
]

TARGET_COLUMNS = [
    Column(
        f"target_q{quarter}",
        lambda criteria, quarter=quarter: gettext("target, quarter %(quarter)s") % {"quarter": quarter},
        lambda row, quarter=quarter: row.targets.get(quarter),
        parse_decimal,
        quarter=quarter,
        help=fixed(_("The planned (cumulative) target: a number, 0 or more; blank: no target.")),
    )
    for quarter in QUARTERS
]


def report_value(quarter: int, read: Callable) -> Callable:
    def value(row):
        report = row.reports.get(quarter)
        return read(report) if report else None

    return value


def score_value(quarter: int, name: str) -> Callable:
    def value(row):
        score = row.scores.get(quarter)
        return getattr(score, name) if score else None

    return value


READ_ONLY_HELP = fixed(_("Read only (export): the import ignores it."))


def quarter_columns(key: str, label: Callable, value: Callable) -> list[Column]:
    """One read-only column per quarter; ``label(criteria, quarter)``, ``value(quarter)``."""
    return [
        Column(
            f"{key}_q{quarter}",
            lambda criteria, quarter=quarter: label(criteria, quarter),
            value(quarter),
            help=READ_ONLY_HELP,
        )
        for quarter in QUARTERS
    ]


RESULT_COLUMNS = [
    *quarter_columns(
        "result",
        lambda criteria, quarter: gettext("result, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: report_value(quarter, lambda report: report.result),
    ),
    *quarter_columns(
        "status",
        lambda criteria, quarter: gettext("status, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: report_value(quarter, lambda report: report.get_status_display()),
    ),
    *quarter_columns(
        "score",
        lambda criteria, quarter: gettext("score, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: score_value(quarter, "score"),
    ),
    *[
        column
        for number in (1, 2)
        for column in quarter_columns(
            f"criterion_{number}",
            lambda criteria, quarter, number=number: (
                gettext("criterion %(label)s, quarter %(quarter)s")
                % {"label": criteria[number - 1], "quarter": quarter}
            ),
            lambda quarter, number=number: score_value(quarter, f"criterion_{number}"),
        )
    ],
]

IMPORT_COLUMNS = REGISTRY_COLUMNS + TARGET_COLUMNS
COLUMNS = IMPORT_COLUMNS + RESULT_COLUMNS  # the export's layout
BY_KEY = {column.key: column for column in COLUMNS}


def column_names(column: Column) -> set[str]:
    """The key and both labels of a column, folded: what a header cell may say."""
    names = {folded(column.key)}
    for language in ("th", "en"):
        with translation.override(language):
            names.add(folded(column.heading()))
    return names


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


def read_table(file, name: str) -> list[tuple[int, list]]:
    """(row number as Excel shows it, cells) for each row of an .xlsx or .csv file."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(file)
    if suffix == ".csv":
        return read_csv(file.read())
    raise ImportFileError(gettext("Choose an .xlsx or .csv file."))


def too_many_rows() -> ImportFileError:
    return ImportFileError(
        gettext("The file has more than %(max)d rows: split it into several files.") % {"max": MAX_ROWS}
    )


def unreadable_workbook() -> ImportFileError:
    return ImportFileError(
        gettext(
            "The file could not be read as an Excel workbook (.xlsx). Save it from Excel "
            "as .xlsx (the older .xls format is not read)."
        )
    )


def read_xlsx(file) -> list[tuple[int, list]]:
    check_archive(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise unreadable_workbook() from None
    try:
        return read_sheet(workbook, workbook.worksheets[0])
    except ImportFileError:
        raise
    except Exception:  # a sheet's XML is read lazily: a broken one fails here
        raise unreadable_workbook() from None
    finally:
        workbook.close()


ROW_TAG, CELL_TAG, DATA_TAG = (f"{{{SHEET_MAIN_NS}}}{name}" for name in ("row", "c", "sheetData"))
FORMULA_TAG, VALUE_TAG = f"{{{SHEET_MAIN_NS}}}f", f"{{{SHEET_MAIN_NS}}}v"


def read_sheet(workbook, sheet) -> list[tuple[int, list]]:
    """The sheet's rows, streamed cell by cell from its XML.

    openpyxl either gives the values Excel computed (``data_only``: a formula saved
    without its value is then None, like a blank cell) or the formulas, one pass each.
    Here one pass uses openpyxl's own reading of a cell (shared strings, numbers,
    dates) with the computed values, and looks at the cell's formula itself. Each cell
    is dropped once read, so a row of a million cells takes no memory."""
    parser = WorkSheetParser(
        None,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    rows, cells, number, sheet_data, row = [], {}, 0, None, None
    with sheet._get_source() as source:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                if element.tag == ROW_TAG:
                    row, cells = element, {}
                    number = int(element.get("r") or number + 1)
                    parser.row_counter, parser.col_counter = number, 0
                    if number > MAX_ROWS + 2 or len(rows) > MAX_ROWS + 2:
                        raise too_many_rows()
                elif element.tag == DATA_TAG:
                    sheet_data = element
            elif element.tag == CELL_TAG:
                cell = parser.parse_cell(element)
                if cell["column"] <= MAX_COLUMNS and cell["row"] == number:
                    cells[cell["column"]] = workbook_value(element, cell)
                if row is not None:
                    row.clear()  # this cell, read
            elif element.tag == ROW_TAG:
                if cells:
                    values = [None] * max(cells)
                    for column, value in cells.items():
                        values[column - 1] = value
                    rows.append((number, values))
                row = None
                if sheet_data is not None:
                    sheet_data.clear()  # the rows read so far
    return rows


def workbook_value(element, cell: dict):
    """A cell's value as Excel shows it; an ``UnreadableCell`` where there is none."""
    if cell["data_type"] == "e":
        return UnreadableCell(
            gettext("%(cell)s: the cell shows the error %(error)s: correct it in Excel or type the value.")
            % {"cell": coordinate(cell), "error": str(cell["value"])[:20]}
        )
    if cell["value"] is None and element.find(FORMULA_TAG) is not None:
        value = element.find(VALUE_TAG)
        # Excel saves a formula's empty text result as t="str" with an empty <v>;
        # programs that cannot compute write the formula with no <v> or an empty one.
        if value is None or (not value.text and element.get("t") != "str"):
            return UnreadableCell(
                gettext(
                    "%(cell)s: a formula without a computed value: open the file in Excel and save it "
                    "again, or type the value."
                )
                % {"cell": coordinate(cell)}
            )
    return cell["value"]


def coordinate(cell: dict) -> str:
    return f"{get_column_letter(cell['column'])}{cell['row']}"


def archive_refused(reason: str) -> ImportFileError:
    return ImportFileError(
        gettext(
            "The workbook was refused before it was opened: %(reason)s Save it again from Excel with "
            "only the indicators sheet, or split it into several files."
        )
        % {"reason": reason}
    )


MB = 1024 * 1024
# Other XML parts (styles, the workbook, relations, properties) are parsed whole and
# slowly when openpyxl opens a workbook: Excel's largest styles (64,000 cell formats)
# are 7 MB and take openpyxl 5 s. Worksheets and shared strings have a setting.
OTHER_PART_MAX_BYTES = 10 * MB
RATIO_CHECKED_FROM = MB  # small parts (styles, themes) may pack tighter, harmlessly
SHARED_STRING_ITEM = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?si[\s/>]")


def check_archive(file) -> None:
    """Refuse an .xlsx whose unpacking would take openpyxl minutes and gigabytes (a
    zip bomb), before opening it: from the sizes the zip directory declares (Python's
    zipfile never unpacks more than a part declares) and a streamed count of the
    shared strings. The limits are the ``IMPORT_XLSX_*`` settings."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise unreadable_workbook() from None
    with archive:
        parts = archive.infolist()
        if len(parts) > settings.IMPORT_XLSX_MAX_MEMBERS:
            raise archive_refused(
                gettext("it has %(count)d parts (at most %(max)d).")
                % {"count": len(parts), "max": settings.IMPORT_XLSX_MAX_MEMBERS}
            )
        total = sum(part.file_size for part in parts)
        if total > settings.IMPORT_XLSX_MAX_UNPACKED_MB * MB:
            raise archive_refused(
                gettext("it unpacks to %(size)s MB (at most %(max)d MB).")
                % {"size": f"{total / MB:.1f}", "max": settings.IMPORT_XLSX_MAX_UNPACKED_MB}
            )
        try:
            check_part(archive.getinfo(ARC_CONTENT_TYPES), OTHER_PART_MAX_BYTES)
            manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
        except ImportFileError:
            raise
        except Exception:  # no or broken content types: openpyxl could not read it either
            raise unreadable_workbook() from None
        data_parts = {
            override.PartName.lstrip("/")
            for override in manifest.Override
            if override.ContentType in (WORKSHEET_TYPE, SHARED_STRINGS)
        }
        for part in parts:
            data = part.filename in data_parts or not part.filename.endswith((".xml", ".rels"))
            check_part(part, settings.IMPORT_XLSX_MAX_PART_MB * MB if data else OTHER_PART_MAX_BYTES)
        strings = manifest.find(SHARED_STRINGS)
        if strings is not None:
            try:
                count_shared_strings(archive, strings.PartName.lstrip("/"))
            except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
                raise unreadable_workbook() from None
    file.seek(0)


def check_part(part: zipfile.ZipInfo, limit: int) -> None:
    name = part.filename[:100]
    if part.file_size > limit:
        raise archive_refused(
            gettext("its part %(name)s unpacks to %(size)s MB (at most %(max)d MB).")
            % {"name": name, "size": f"{part.file_size / MB:.1f}", "max": limit // MB}
        )
    ratio = part.file_size / max(part.compress_size, 1)
    if part.file_size > RATIO_CHECKED_FROM and ratio > settings.IMPORT_XLSX_MAX_RATIO:
        raise archive_refused(
            gettext("its part %(name)s unpacks to %(ratio)d times its packed size (at most %(max)d).")
            % {"name": name, "ratio": ratio, "max": settings.IMPORT_XLSX_MAX_RATIO}
        )


def count_shared_strings(archive: zipfile.ZipFile, name: str) -> None:
    """Count the <si> items of the shared strings, a megabyte at a time: openpyxl
    takes about 10 s per million, however short they are."""
    limit, count, tail = settings.IMPORT_XLSX_MAX_SHARED_STRINGS, 0, b""
    with archive.open(name) as source:
        while chunk := source.read(MB):
            buffer = tail + chunk
            # A tag cut by the chunk's end is counted with the next chunk, once.
            count += sum(1 for match in SHARED_STRING_ITEM.finditer(buffer) if match.end() > len(tail))
            tail = buffer[-64:]
            if count > limit:
                raise archive_refused(
                    gettext("it has more than %(max)d different texts (shared strings).") % {"max": limit}
                )


def read_csv(data: bytes) -> list[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp874")
        except UnicodeDecodeError:
            raise ImportFileError(
                gettext('The file could not be read as text: save it from Excel as "CSV UTF-8".')
            ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            if number > MAX_ROWS + 2:
                raise too_many_rows()
            rows.append((number, cells))
    except csv.Error as error:
        raise ImportFileError(gettext("The CSV file is malformed: %(error)s") % {"error": error}) from None
    return rows


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem, located as the user sees it in Excel."""

    row: int
    column: str  # the column's key ("" when the whole row is meant)
    message: str
    letter: str = ""  # the spreadsheet column letter

    def __str__(self):
        where = f"{self.column} ({self.letter})" if self.letter else self.column
        return f"row {self.row}, column {where}: {self.message}"


@dataclass
class ParsedRow:
    row: int
    values: dict  # column key -> parsed value
    letters: dict  # column key -> spreadsheet letter
    fields: dict = field(default_factory=dict)  # Indicator attname -> value, after lookups
    targets: dict = field(default_factory=dict)  # quarter -> Decimal or None, for target columns present


@dataclass
class Plan:
    rows: list[ParsedRow]
    columns: list[Column]  # the importable columns present in the file
    errors: list[RowError]


def validate(table: list[tuple[int, list]]) -> Plan:
    """Parse and check every row; nothing is written."""
    # A row of nothing but blanks and formulas without values (say, a lookup filled down
    # a template) is blank; in a row with data, such a cell is an error.
    table = [
        (number, cells)
        for number, cells in table
        if not all(is_blank(cell) or isinstance(cell, UnreadableCell) for cell in cells)
    ]
    if not table:
        raise ImportFileError(gettext("The file is empty: row 1 must hold the column keys."))
    header_row, header = table[0]
    positions, errors = read_header(header_row, header)
    if errors:
        return Plan([], [], sorted(errors, key=error_order))
    body = table[1:]
    if body and is_label_row(body[0][1], positions["fiscal_year"]):
        body = body[1:]
    if not body:
        raise ImportFileError(gettext("The file has no indicator rows."))
    columns = [BY_KEY[key] for key in positions if BY_KEY[key].imported]
    rows = []
    for number, cells in body:
        values, letters = {}, {}
        for column in columns:
            index = positions[column.key]
            letters[column.key] = get_column_letter(index + 1)
            raw = cells[index] if index < len(cells) else None
            if isinstance(raw, UnreadableCell):
                errors.append(RowError(number, column.key, raw.message, letters[column.key]))
                values[column.key] = None
                continue
            if isinstance(raw, str):
                if error := control_character_error(raw):
                    errors.append(RowError(number, column.key, str(error), letters[column.key]))
                    values[column.key] = None
                    continue
                raw = unquoted(raw)
            if is_blank(raw):
                if column.required:
                    errors.append(
                        RowError(number, column.key, gettext("This cell is required."), letters[column.key])
                    )
                values[column.key] = None
                continue
            try:
                values[column.key] = column.parse(raw)
            except CellError as error:
                errors.append(RowError(number, column.key, str(error), letters[column.key]))
                values[column.key] = None
        rows.append(ParsedRow(number, values, letters))
    errors.extend(resolve(rows, columns))
    return Plan(rows, columns, sorted(errors, key=error_order))


def error_order(error: RowError):
    """Top to bottom, left to right (column "AA" after "Z"); a missing column first."""
    return (error.row, error.letter.rjust(3))


def read_header(number: int, header: list) -> tuple[dict, list[RowError]]:
    names = {}
    for column in COLUMNS:
        for name in column_names(column):
            names.setdefault(name, column.key)
    positions, errors = {}, []
    for index, cell in enumerate(header):
        if is_blank(cell):
            continue
        letter = get_column_letter(index + 1)
        if isinstance(cell, UnreadableCell):
            errors.append(RowError(number, "", cell.message, letter))
            continue
        text = str(cell).strip()
        key = names.get(folded(text))
        if key is None:
            shown = CONTROL_CHARACTER.sub("\ufffd", text)
            shown = shown if len(shown) <= 60 else f"{shown[:60]}…"
            errors.append(
                RowError(number, shown, gettext("Unknown column: correct its name or remove it."), letter)
            )
        elif key in positions:
            errors.append(
                RowError(
                    number,
                    key,
                    gettext("This column appears twice (also in column %(letter)s).")
                    % {"letter": get_column_letter(positions[key] + 1)},
                    letter,
                )
            )
        else:
            positions[key] = index
    for column in IMPORT_COLUMNS:
        if column.required and column.key not in positions:
            errors.append(RowError(number, column.key, gettext("This required column is missing.")))
    return positions, errors


def is_label_row(cells: list, fiscal_year_index: int) -> bool:
    value = cells[fiscal_year_index] if fiscal_year_index < len(cells) else None
    return not is_blank(value) and folded(value) in column_names(BY_KEY["fiscal_year"]) - {"fiscal_year"}


def resolve(rows: list[ParsedRow], columns: list[Column]) -> list[RowError]:
    """Look up fiscal years, units and strategy nodes (one query each) and find keys
    that appear twice; fill each row's ``fields`` and ``targets``."""
    present = {column.key for column in columns}
    years = {
        y.year: y.pk
        for y in FiscalYear.objects.filter(year__in={r.values["fiscal_year"] for r in rows} - {None})
    }
    units = {
        u.code: u.pk for u in OrgUnit.objects.filter(code__in={r.values["unit_code"] for r in rows} - {None})
    }
    nodes = {}
    if "strategy_code" in present:
        codes = {r.values["strategy_code"] for r in rows} - {None}
        nodes = {n.code: n.pk for n in StrategyNode.objects.filter(code__in=codes)}
    messages = {
        "fiscal_year": (
            years,
            _("Fiscal year %(value)s does not exist: add it first (administration, fiscal years)."),
        ),
        "org_unit": (units, _("Unit %(value)s does not exist: add it first (administration, org units).")),
        "strategy_node": (nodes, _("Strategy code %(value)s does not exist in the strategy tree.")),
    }
    errors, seen = [], {}
    for row in rows:
        for column in columns:
            value = row.values[column.key]
            if column.quarter:
                row.targets[column.quarter] = value
                continue
            if column.lookup and value is not None:
                known, message = messages[column.lookup]
                if value not in known:
                    errors.append(
                        RowError(
                            row.row, column.key, str(message) % {"value": value}, row.letters[column.key]
                        )
                    )
                    continue
                value = known[value]
            if value is None and not column.required:
                value = default_of(column)
            row.fields[column.attname] = value
        key = (row.values["fiscal_year"], row.values["unit_code"], row.values["indicator_code"])
        if None not in key:
            if key in seen:
                errors.append(
                    RowError(
                        row.row,
                        "indicator_code",
                        gettext("The same indicator (%(year)s %(unit)s-%(code)s) is already on row %(row)d.")
                        % {"year": key[0], "unit": key[1], "code": key[2], "row": seen[key]},
                        row.letters["indicator_code"],
                    )
                )
            else:
                seen[key] = row.row
    return errors


def default_of(column: Column):
    """What a blank optional cell means: the model field's default ("" for text, None for a link)."""
    model_field = Indicator._meta.get_field(column.attname.removesuffix("_id"))
    if model_field.is_relation:
        return None
    if model_field.has_default():
        return model_field.get_default()
    return ""


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    targets_created: int = 0
    targets_updated: int = 0
    targets_deleted: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = gettext(
            "%(rows)d rows: %(created)d indicators created, %(updated)d updated, %(unchanged)d unchanged; "
            "quarter targets: %(targets_created)d created, %(targets_updated)d updated, "
            "%(targets_deleted)d removed."
        ) % vars(self)
        if self.dry_run:
            note = gettext("Check only: nothing was saved.")  # outside the f-string: xgettext finds it
            text = f"{text} {note}"
        return text


def import_file(file, name: str, user=None, dry_run: bool = False, request=None) -> ImportResult:
    """Validate the whole file, then import every row or none.

    Raises ImportFileError when the file itself cannot be read; errors in rows
    and cells come back in ``result.errors`` (and nothing is written). An import
    (not a dry run) is written to the audit log: who, the file's name, the counts."""
    plan = validate(read_table(file, name))
    if plan.errors:
        result = ImportResult(errors=plan.errors, rows=len(plan.rows))
    else:
        with transaction.atomic():
            reason = CONTROL_CHARACTER.sub("", f"import {Path(name).name}")[:100]
            result = write(plan, user, reason=reason)
            if dry_run:
                transaction.set_rollback(True)
                result.dry_run = True
    if not dry_run:
        audit.record(
            audit.AuditEvent.Kind.IMPORTED,
            request=request,
            user=user,
            file=CONTROL_CHARACTER.sub("", Path(name).name)[:200],
            imported=result.ok,
            errors=len(result.errors),
            **{key: getattr(result, key) for key in COUNTS},
        )
    return result


COUNTS = ("rows", "created", "updated", "unchanged", "targets_created", "targets_updated", "targets_deleted")


def write(plan: Plan, user, reason: str) -> ImportResult:
    """Upsert the plan's rows in bulk: a fixed number of queries per 500 rows."""
    now = timezone.now()
    result = ImportResult(rows=len(plan.rows))
    attnames = [column.attname for column in plan.columns if column.attname]
    updatable = [name for name in attnames if name not in ("fiscal_year_id", "org_unit_id", "code")]
    year_ids = {row.fields["fiscal_year_id"] for row in plan.rows}
    unit_ids = {row.fields["org_unit_id"] for row in plan.rows}
    scope = {"fiscal_year_id__in": year_ids, "org_unit_id__in": unit_ids}
    existing = {
        (i.fiscal_year_id, i.org_unit_id, i.code): i
        for i in Indicator.objects.select_for_update().filter(**scope)
    }
    new, changed, indicators, changed_fields = [], [], [], set()
    for row in plan.rows:
        key = (row.fields["fiscal_year_id"], row.fields["org_unit_id"], row.fields["code"])
        indicator = existing.get(key)
        if indicator is None:
            indicator = Indicator(**row.fields)
            new.append(indicator)
        elif differing := [name for name in updatable if getattr(indicator, name) != row.fields[name]]:
            for name in differing:
                setattr(indicator, name, row.fields[name])
            changed_fields.update(differing)
            indicator.updated_at = now  # bulk_update skips auto_now
            changed.append(indicator)
        else:
            result.unchanged += 1
        indicators.append(indicator)
    if new:
        bulk_create_with_history(
            new, Indicator, batch_size=BATCH, default_user=user, default_change_reason=reason
        )
        if any(indicator.pk is None for indicator in new):  # databases that do not return keys
            created = {
                (i.fiscal_year_id, i.org_unit_id, i.code): i.pk for i in Indicator.objects.filter(**scope)
            }
            for indicator in new:
                indicator.pk = created[(indicator.fiscal_year_id, indicator.org_unit_id, indicator.code)]
    if changed:
        bulk_update_with_history(
            changed,
            Indicator,
            # Only the columns that changed somewhere: each is a CASE over the batch's rows.
            sorted(changed_fields | {"updated_at"}),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=reason,
        )
    result.created, result.updated = len(new), len(changed)
    write_targets(plan, indicators, scope, user, reason, result)
    return result


def write_targets(plan: Plan, indicators: list[Indicator], scope: dict, user, reason: str, result) -> None:
    if not any(column.quarter for column in plan.columns):
        return
    existing = {
        (t.indicator_id, t.quarter): t
        for t in QuarterTarget.objects.filter(
            **{f"indicator__{name}": value for name, value in scope.items()}
        )
    }
    new, changed, removed = [], [], []
    for row, indicator in zip(plan.rows, indicators, strict=True):
        for quarter, value in row.targets.items():
            target = existing.get((indicator.pk, quarter))
            if value is None:
                if target is not None:
                    removed.append(target)
            elif target is None:
                new.append(QuarterTarget(indicator_id=indicator.pk, quarter=quarter, target=value))
            elif target.target != value:
                target.target = value
                changed.append(target)
    if new:
        bulk_create_with_history(
            new, QuarterTarget, batch_size=BATCH, default_user=user, default_change_reason=reason
        )
    if changed:
        bulk_update_with_history(
            changed,
            QuarterTarget,
            ["target"],
            batch_size=BATCH,
            default_user=user,
            default_change_reason=reason,
        )
    for target in removed:
        # One by one, so that simple-history records who removed it (removals are rare).
        target._history_user, target._change_reason = user, reason
        target.delete()
    result.targets_created, result.targets_updated, result.targets_deleted = (
        len(new),
        len(changed),
        len(removed),
    )


# ---------------------------------------------------------------------------
# Export and the blank template
# ---------------------------------------------------------------------------


def export_queryset(indicators: QuerySet) -> QuerySet:
    """What the export shows, in four queries per 2,000 indicators."""
    return indicators.select_related("fiscal_year", "org_unit", "strategy_node").prefetch_related(
        Prefetch("targets", queryset=QuarterTarget.objects.only("indicator_id", "quarter", "target")),
        Prefetch(
            "reports", queryset=QuarterReport.objects.only("indicator_id", "quarter", "result", "status")
        ),
        Prefetch(
            "scores",
            queryset=AuditScore.objects.only(
                "indicator_id", "quarter", "score", "criterion_1", "criterion_2"
            ),
        ),
    )


def export_rows(indicators: QuerySet) -> Iterable[ExportRow]:
    for indicator in export_queryset(indicators).iterator(chunk_size=2000):
        yield ExportRow(
            indicator,
            targets={t.quarter: t.target for t in indicator.targets.all()},
            reports={r.quarter: r for r in indicator.reports.all()},
            scores={s.quarter: s for s in indicator.scores.all()},
        )


def csv_cell(value) -> str:
    """Numbers as numbers ("-5"); text that a spreadsheet would run as a formula
    behind an apostrophe (see "CSV and formulas" above)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, str):
        return neutralised(value)
    return str(value)


def write_csv(rows: Iterable[ExportRow], columns: list[Column], criteria=DEFAULT_CRITERIA) -> bytes:
    """UTF-8 with a BOM, so that Excel shows the Thai."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.key for column in columns])
    writer.writerow([column.heading(criteria) for column in columns])
    for row in rows:
        writer.writerow([csv_cell(column.value(row)) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(
    rows: Iterable[ExportRow],
    columns: list[Column],
    criteria=DEFAULT_CRITERIA,
    with_help: bool = False,
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("indicators"))
    for index, column in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        if column.text:
            dimension.number_format = "@"  # what users type there stays text: 0685, not 685
    sheet.freeze_panes = "E3"  # keys and labels, year, unit and code stay in view

    def header(values, font):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = font
            cells.append(cell)
        return cells

    sheet.append(header([column.key for column in columns], Font(bold=True)))
    sheet.append(header([column.heading(criteria) for column in columns], Font(italic=True, color="555555")))
    for row in rows:
        sheet.append([xlsx_cell(sheet, column, column.value(row)) for column in columns])
    if with_help:
        write_help_sheet(workbook.create_sheet(gettext("instructions")), columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_cell(sheet, column: Column, value):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("'"):
            value = neutralised(value)  # so that the import's reading of "'=" gives it back
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, even if the text starts with "="
        if column.text:
            cell.number_format = "@"
        return cell
    return value


def write_help_sheet(sheet, columns: list[Column]) -> None:
    for letter, width in zip("ABCD", (20, 36, 10, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    titles = [gettext("Column key"), gettext("Label"), gettext("Required"), gettext("What to enter")]
    cells = [WriteOnlyCell(sheet, value=title) for title in titles]
    for cell in cells:
        cell.font = bold
    sheet.append(cells)
    for column in columns:
        sheet.append(
            [
                column.key,
                column.heading(),
                gettext("yes") if column.required else "",
                str(column.help()),
            ]
        )
    sheet.append([])
    for line in (
        gettext("Row 1 holds the column keys and row 2 their labels; each further row is one indicator."),
        gettext(
            "Fiscal year, unit code and indicator code identify an indicator: importing it again updates it."
        ),
        gettext("The whole file is checked first: if any cell is wrong, nothing is imported."),
        str(FORMULAS_HELP),
    ):
        sheet.append([line])


def template_file(fmt: str) -> bytes:
    """The blank template: the import columns' keys and labels, no rows."""
    if fmt == "csv":
        return write_csv([], IMPORT_COLUMNS)
    return write_xlsx([], IMPORT_COLUMNS, with_help=True)


def export_file(indicators: QuerySet, fmt: str, criteria=DEFAULT_CRITERIA) -> bytes:
    rows = export_rows(indicators)
    if fmt == "csv":
        return write_csv(rows, COLUMNS, criteria)
    return write_xlsx(rows, COLUMNS, criteria)
