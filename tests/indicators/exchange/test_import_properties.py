"""Property-based tests of the import (issue 8): files whose cells hold text nobody
planned for (Thai with stacked marks, NUL and other control characters, huge strings,
right-to-left and zero-width characters, formulas, "NaN", "Infinity", "1e400", "-0",
numbers with commas), as .csv and .xlsx, through the import function, the admin page
and ``manage.py import_indicators``. The import never fails with anything but a clear
refusal; a refused file changes nothing; a valid file, and an export, import back as
they were. Each example runs in a transaction that is rolled back."""

import csv
import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from indicators.exchange import load, read
from indicators.models import Indicator, QuarterTarget, Role
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user
from tests.indicators.exchange.test_import_export import PLAIN_FIELDS, make_registry, registry_state

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the work tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example runs in its own rolled-back transaction
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
IMPORT_URL = reverse("admin:indicators_indicator_import")

# A valid row, written out here rather than taken from the code under test.
KEYS = [
    "fiscal_year",
    "unit_code",
    "unit_name",
    "indicator_code",
    *PLAIN_FIELDS,
    "strategy_code",
    "target_q1",
    "target_q2",
    "target_q3",
    "target_q4",
]
GOOD = {
    "fiscal_year": "2568",
    "unit_code": "5016",
    "unit_name": "สำนักงานเขตธนบุรี",
    "indicator_code": "0685",
    "sequence": "26",
    "agreement_ref": "3.2",
    "name": "ร้อยละความสำเร็จของการดำเนินโครงการ",
    "annual_target": "100",
    "unit_of_measure": "ร้อยละ",
    "indicator_type": "routine",
    "result_level": "output",
    "direction": "higher",
    "is_cumulative": "ใช่",
    "definition": "ความสำเร็จของโครงการ",
    "calculation_method": "(ก / ข) x 100",
    "data_source": "รายงานผลการดำเนินงาน",
    "strategy_code": "7.3.1.1",
    "target_q1": "25",
    "target_q2": "50",
    "target_q3": "75",
    "target_q4": "100",
}

# --- nasty text -------------------------------------------------------------------------------

CONSONANTS = "กขคฆงจฉชซญฎฏฐดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"
MARKS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
stacked_thai = st.builds(
    lambda consonant, marks: consonant + marks,
    st.sampled_from(CONSONANTS),
    st.text(alphabet=MARKS, min_size=1, max_size=6),
)
thai_piece = stacked_thai | st.sampled_from(["ำ", "ๆ", "๑๒๓", " ", "เ", "ไ"])
thai = st.lists(thai_piece, min_size=1, max_size=12).map("".join)
invisible = st.sampled_from(
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u00ad", "\u034f"]
    + ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
right_to_left = st.sampled_from(["שלום", "مرحبا بالعالم", "\u202eเลขที่\u202c", "\u0627\u0644\u0661\u0662"])
number_like = st.sampled_from(
    ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "1e-400", "-0", "0", "-5"]
    + ["1,234.5", "1,2,3", "๑๒๓", "๑,๒๓๔.๕", "1_000", "0x10", "1e2", "+5", "00042", "4.", ".5", "½"]
    + ["١٢", "１２", "9999999999999.99", "99999999999999.99", "9" * 400, "0." + "0" * 300 + "1", "1 000"]
)
formula_like = st.sampled_from(["=1+2", "+1", "-1", "@A1", "'=x", "''+y", '=HYPERLINK("http://x")', "=A1*2"])
control = st.sampled_from([chr(code) for code in (*range(0, 9), 11, 12, *range(14, 32), 127, 133, 155, 159)])
huge = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["ก", "ก้้้้", "x", "9", "\u200b", "ש"]),
    st.sampled_from([1_000, 6_000]),  # up to 30,000 characters: an Excel cell holds 32,767
)
nul = st.just("\x00")  # PostgreSQL refuses it in text: weighed heavier than other controls
piece = st.one_of(
    st.text(max_size=12), thai, invisible, right_to_left, number_like, formula_like, control, nul
)
nasty = st.lists(piece | huge, max_size=4).map("".join)


def is_control(character: str) -> bool:
    code = ord(character)
    return (code < 32 and character not in "\t\n\r") or 127 <= code <= 159


FORMATS = st.sampled_from(["csv", "xlsx"])
# One or two odd cells in a good row.
CELLS = st.dictionaries(st.sampled_from(KEYS), nasty, min_size=1, max_size=2)


def meant(text: str) -> str:
    """Text a user can mean: no control characters, no carriage returns (read as line
    feeds), no spaces around it (the import trims cells)."""
    return "".join(c for c in text if not is_control(c) and c != "\r").strip()


# Not blank, and at most what an Excel cell holds (openpyxl cuts longer text at 32,767).
plain = st.lists(piece | huge, max_size=3).map(lambda pieces: meant("".join(pieces)))
plain = plain.filter(lambda text: 0 < len(text) <= 32_000)


# --- files ------------------------------------------------------------------------------------


def csv_file(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(KEYS)
    for row in rows:
        writer.writerow([row.get(key, "") for key in KEYS])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_file(rows: list[dict]) -> bytes:
    """Text cells as Excel keeps typed text ("=1" stays text); XML cannot hold C0 controls,
    so those are left out, as openpyxl requires."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("indicators")
    sheet.append(KEYS)
    for row in rows:
        cells = []
        for key in KEYS:
            value = "".join(c for c in row.get(key, "") if not (ord(c) < 32 and c not in "\t\n\r"))
            cell = WriteOnlyCell(sheet, value=value or None)
            if value:
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILES = {"csv": csv_file, "xlsx": xlsx_file}


def registry_snapshot():
    return registry_state(), Indicator.history.count(), QuarterTarget.history.count()


@contextmanager
def rolled_back():
    """One example's changes, undone: the next example starts from the same registry."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def registry():
    """The registry with the good row imported, so that a file can change or remove things."""
    make_registry()
    result = load.import_file(io.BytesIO(csv_file([GOOD])), "good.csv")
    assert result.ok, result.errors


def read_back(text: str) -> str:
    """What the import makes of a cell's text: an apostrophe before =, +, -, @, tab or
    carriage return dropped (as the CSV export writes them), then the spaces around."""
    if text.startswith("'") and text.lstrip("'")[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = text[1:]
    return text.strip()


def import_or_refuse(data: bytes, name: str) -> bool:
    """Import; True if the file was taken. A refusal is ImportFileError or row errors."""
    try:
        result = load.import_file(io.BytesIO(data), name)
    except read.ImportFileError as error:
        assert str(error)
        return False
    assert result.ok or all(error.message for error in result.errors)
    return result.ok


# --- properties -----------------------------------------------------------------------------------


@EXAMPLES
@given(
    fmt=FORMATS,
    cells=st.dictionaries(st.sampled_from(KEYS), nasty, min_size=1, max_size=2),
)
def test_any_cells_import_or_are_refused_and_a_refusal_changes_nothing(registry, fmt, cells):
    with rolled_back():
        before = registry_snapshot()
        second = dict(GOOD, indicator_code="0686", name="ตัวชี้วัดที่สอง")
        if not import_or_refuse(FILES[fmt]([GOOD | cells, second]), f"nasty.{fmt}"):
            assert registry_snapshot() == before


@EXAMPLES
@given(
    fmt=FORMATS,
    column=st.sampled_from(["annual_target", "target_q1", "sequence"]),
    value=number_like | nasty,
)
def test_a_number_is_stored_exactly_or_refused(registry, fmt, column, value):
    with rolled_back():
        before = registry_snapshot()
        if not import_or_refuse(FILES[fmt]([GOOD | {column: value}]), f"numbers.{fmt}"):
            assert registry_snapshot() == before
            return
        indicator = Indicator.objects.get(code="0685")
        stored = {
            "annual_target": indicator.annual_target,
            "target_q1": indicator.targets.filter(quarter=1).values_list("target", flat=True).first(),
            "sequence": indicator.sequence,
        }[column]
        if stored is not None:  # a blank target cell removes the target
            number = Decimal(stored)
            assert number.is_finite() and 0 <= number < Decimal("10000000000000")
            assert number == number.quantize(Decimal("0.01"))


@EXAMPLES
@given(fmt=FORMATS, name=plain, definition=plain | st.just(""))
def test_valid_text_imports_as_written(registry, fmt, name, definition):
    assume(read_back(name))
    with rolled_back():
        row = GOOD | {"name": name, "definition": definition, "data_source": f"'{name}"}
        assert import_or_refuse(FILES[fmt]([row]), f"text.{fmt}")
        indicator = Indicator.objects.get(code="0685")
        assert (indicator.name, indicator.definition) == (read_back(name), read_back(definition))
        assert indicator.data_source == read_back(f"'{name}")


@EXAMPLES
@given(fmt=FORMATS, texts=st.lists(plain, min_size=2, max_size=2))
def test_an_export_imports_back_as_it_was(client, fmt, texts):
    with rolled_back():
        year, unit = make_fiscal_year(2568), make_unit("0300", "สำนักการโยธา")
        reference = texts[1][:20].strip()
        make_indicator(year, unit, code="0001", name=texts[0], definition=texts[1], agreement_ref=reference)
        make_indicator(year, unit, code="0002", name=f"'{texts[1]}", calculation_method=f"''{texts[0]}")
        client.force_login(make_user("reader", Role.EXECUTIVE))
        before = registry_state()
        response = client.get(reverse(f"indicator_export_{fmt}"))
        Indicator.objects.all().delete()
        result = load.import_file(io.BytesIO(response.content), f"export.{fmt}")
        assert result.ok, result.errors
        assert registry_state() == before


@settings(EXAMPLES, max_examples=20)
@given(
    fmt=FORMATS,
    cells=st.dictionaries(st.sampled_from(KEYS), nasty, min_size=1, max_size=2),
)
def test_the_admin_page_answers_every_file_without_a_server_error(admin_client, registry, fmt, cells):
    with rolled_back():
        before = registry_snapshot()
        upload = SimpleUploadedFile(f"nasty.{fmt}", FILES[fmt]([GOOD | cells]))
        response = admin_client.post(IMPORT_URL, {"file": upload})
        assert response.status_code < 500
        if response.status_code == 200:  # the page again, with the errors: nothing imported
            assert registry_snapshot() == before
        else:
            assert response.status_code == 302


@settings(EXAMPLES, max_examples=20)
@given(
    fmt=FORMATS,
    cells=st.dictionaries(st.sampled_from(KEYS), nasty, min_size=1, max_size=2),
)
def test_the_command_imports_or_fails_cleanly(registry, tmp_path, fmt, cells):
    path = tmp_path / f"nasty.{fmt}"
    path.write_bytes(FILES[fmt]([GOOD | cells]))
    with rolled_back():
        before = registry_snapshot()
        try:
            call_command("import_indicators", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError:
            assert registry_snapshot() == before
