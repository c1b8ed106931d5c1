"""Thai calendar and numeral helpers: Buddhist Era years, Thai month names,
Thai digits and the Thai fiscal year (1 October - 30 September).

Django's ``th`` locale prints Gregorian years, so dates shown to users go
through these helpers (and the template filters built on them).
"""

import datetime
import re
from decimal import Decimal

BE_OFFSET = 543

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
ARABIC_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)


def to_thai_digits(value) -> str:
    return str(value).translate(THAI_DIGITS)


def to_arabic_digits(value: str) -> str:
    return value.translate(ARABIC_DIGITS)


def be_year(year: int) -> int:
    return year + BE_OFFSET


def ce_year(year_be: int) -> int:
    return year_be - BE_OFFSET


def format_date(value: datetime.date, style: str = "long") -> str:
    """ "15 มีนาคม 2568" (long), "15 มี.ค. 2568" (short) or "15/03/2568" (numeric)."""
    if style == "numeric":
        return f"{value.day:02d}/{value.month:02d}/{be_year(value.year)}"
    months = THAI_MONTHS_SHORT if style == "short" else THAI_MONTHS
    return f"{value.day} {months[value.month - 1]} {be_year(value.year)}"


def format_datetime(value: datetime.datetime, style: str = "long") -> str:
    return f"{format_date(value.date(), style)} {value:%H:%M}"


_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_be_date(text: str) -> datetime.date:
    """Read "15/03/2568" (day/month/BE year, Thai or Arabic digits) as 2025-03-15."""
    match = _NUMERIC_DATE.match(to_arabic_digits(text))
    if not match:
        raise ValueError(f"not a dd/mm/yyyy date: {text!r}")
    day, month, year = (int(part) for part in match.groups())
    return datetime.date(ce_year(year), month, day)


def fiscal_year_of(value: datetime.date) -> int:
    """The Thai fiscal year (BE) a date belongs to: October starts the next one."""
    year = value.year + 1 if value.month >= 10 else value.year
    return be_year(year)


def fiscal_quarter_of(value: datetime.date) -> int:
    """Q1 is October-December, Q2 January-March, Q3 April-June, Q4 July-September."""
    return ((value.month - 10) % 12) // 3 + 1


def fiscal_year_bounds(year_be: int) -> tuple[datetime.date, datetime.date]:
    year = ce_year(year_be)
    return datetime.date(year - 1, 10, 1), datetime.date(year, 9, 30)


def quarter_start(year_be: int, quarter: int) -> datetime.date:
    """The first day of a fiscal quarter: 1 October, 1 January, 1 April, 1 July."""
    start, _ = fiscal_year_bounds(year_be)
    month = start.month + 3 * (quarter - 1)  # 10, 13, 16, 19 for quarters 1-4
    return datetime.date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def quarter_end(year_be: int, quarter: int) -> datetime.date:
    start, _ = fiscal_year_bounds(year_be)
    month = start.month + 3 * quarter - 1  # 12, 15, 18, 21 for quarters 1-4
    year = start.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    return next_month - datetime.timedelta(days=1)


def format_number(value, places: int | None = None) -> str:
    """Decimal to text: fixed ``places`` or, when None, without trailing zeros."""
    if value is None:
        return ""
    value = Decimal(value)
    if places is not None:
        return f"{value:,.{places}f}"
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,}"
    return f"{value.normalize():,f}"


# Compound words that browsers' (ICU's) Thai dictionary breaks in the middle
# (ตัว|ชี้|วัด, เป้า|หมาย, ผล|งาน): short texts in narrow places (table headers on a
# phone) keep them whole (``keep_words``), so a line breaks only between words.
COMPOUND_WORDS = ("ผลประเมิน", "ตัวชี้วัด", "เป้าหมาย", "ผลงาน", "รายไตรมาส", "ดำเนินงาน", "หน่วยงาน")
_COMPOUND = re.compile("|".join(sorted(COMPOUND_WORDS, key=len, reverse=True)))


def compound_word_spans(text: str) -> list[tuple[bool, str]]:
    """``text`` in pieces, each (is a compound word to keep whole, piece)."""
    pieces, end = [], 0
    for match in _COMPOUND.finditer(text):
        if match.start() > end:
            pieces.append((False, text[end : match.start()]))
        pieces.append((True, match.group()))
        end = match.end()
    if end < len(text):
        pieces.append((False, text[end:]))
    return pieces
