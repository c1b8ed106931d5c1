"""Reading one cell of an import file: text, codes, numbers, choices, yes/no; and the
text rules both ways (control characters refused, formulas neutralised for CSV)."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from django.utils import translation
from django.utils.translation import gettext

from indicators import thai

# DecimalField(max_digits=16, decimal_places=2) holds 10**14, but SQLite keeps decimals as
# floats, exact to 15 digits: Django then fails reading back 99999999999999.99. 15 digits
# (ten trillion) hold on both databases.
MAX_TARGET = Decimal(10) ** 13
MAX_SMALL_INT = 32767  # PositiveSmallIntegerField


class CellError(ValueError):
    """A cell's value is wrong; the message is for the user."""


@dataclass(frozen=True)
class UnreadableCell:
    """A workbook cell whose value cannot be taken as it is (a formula saved without its
    value, or an error such as #REF!); ``message`` names the cell, for the user."""

    message: str


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


# The keys of the eight units the portal began with, which files written for its first
# import may hold: read as the units' names.
UNIT_KEYS = {
    "percent": "ร้อยละ",
    "count": "จำนวน",
    "level": "ระดับ",
    "baht": "บาท",
    "times": "ครั้ง",
    "cases": "ราย",
    "days": "วัน",
    "score": "คะแนน",
}
UNIT_NAME_MAX_LENGTH = 50  # UnitOfMeasure.name


def parse_unit_name(value) -> str:
    """A unit of measure's name, spaces tidied (the table is looked up afterwards)."""
    text = " ".join(cell_text(value).split())
    if len(text) > UNIT_NAME_MAX_LENGTH:
        raise CellError(
            gettext("At most %(max)d characters (this cell has %(length)d).")
            % {"max": UNIT_NAME_MAX_LENGTH, "length": len(text)}
        )
    return UNIT_KEYS.get(text.casefold(), text)


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
