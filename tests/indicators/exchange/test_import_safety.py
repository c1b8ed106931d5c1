"""The import against files nobody planned for, and the CSV export against formula
injection (issue 8): formulas saved without their values and cells showing errors
(item 4), zip and XML bombs (item 4), NUL and other control characters (item 3),
numbers that are not numbers; CSV cells that a spreadsheet would run (item 5)."""

import csv
import io
import os
import random
import re
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from indicators.exchange import read, write
from indicators.models import Indicator, QuarterTarget, Role
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user
from tests.indicators.exchange.test_import_export import (
    csv_bytes,
    good_rows,
    make_registry,
    nothing_written,
    registry_state,
    run_import,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:indicators_indicator_import")
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
FORMULA_WITHOUT_VALUE = ": สูตรที่ยังไม่มีค่าที่คำนวณไว้ กรุณาเปิดไฟล์ใน Excel แล้วบันทึกอีกครั้ง หรือพิมพ์ค่าลงไปแทนสูตร"
REFUSED = "ไม่รับไฟล์นี้ (ยังไม่ได้เปิดอ่าน): "
UNREADABLE = "อ่านไฟล์นี้เป็นสมุดงาน Excel (.xlsx) ไม่ได้"
NOT_A_NUMBER = "กรุณากรอกตัวเลข เช่น 75 หรือ 75.50"
TOO_LARGE = "ตัวเลขมีค่ามากเกินไป"
MB = 1024 * 1024


@pytest.fixture
def registry():
    make_registry()


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def control_character(code: str) -> str:
    return f"ช่องนี้มีอักขระควบคุม ({code}) ซึ่งบันทึกไม่ได้ กรุณาลบออก"


# --- workbooks that openpyxl does not write ----------------------------------------------------


def rewrite(data: bytes, parts: dict) -> bytes:
    """The workbook with parts replaced or added: {name: bytes, or a function of the old text}."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            change = parts.get(info.filename)
            if callable(change):
                content = change(content.decode()).encode()
            elif change is not None:
                content = change
            target.writestr(info.filename, content)
        for name, content in parts.items():
            if name not in source.namelist():
                target.writestr(name, content)
    return buffer.getvalue()


def cached(xml: str, cell: str, value: str, kind: str = "") -> str:
    """Give the formula openpyxl wrote in ``cell`` the value Excel saves with it."""
    kind = f' t="{kind}"' if kind else ""
    xml, count = re.subn(
        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/>|<c r="{cell}"([^>]*)><f>(.*?)</f><v></v>',
        lambda m: f'<c r="{cell}"{m[1] or m[3] or ""}{kind}><f>{m[2] or m[4]}</f><v>{value}</v>',
        xml,
    )
    assert count == 1, f"no formula in {cell}"
    return xml


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def sheet(edit: Callable) -> dict:
    return {"xl/worksheets/sheet1.xml": edit}


def with_shared_strings(data: bytes, write_strings: Callable) -> bytes:
    """The workbook with a shared-strings part as Excel saves one, written by
    ``write_strings(part)`` in pieces: a part of many megabytes never sits in memory."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
                content = content.replace(b"</Types>", f"{override}</Types>".encode())
            if info.filename == "xl/_rels/workbook.xml.rels":
                relation = f'<Relationship Id="rIdS" Type="{SHARED_STRINGS_REL}" Target="sharedStrings.xml"/>'
                content = content.replace(b"</Relationships>", f"{relation}</Relationships>".encode())
            target.writestr(info.filename, content)
        with target.open("xl/sharedStrings.xml", "w") as part:
            write_strings(part)
    return buffer.getvalue()


def strings(items: bytes, repeat: int = 1, before: bytes = b"", root: bytes = b"") -> Callable:
    """A shared-strings part: ``items`` ``repeat`` times in <sst>, ``before`` ahead of them."""

    def write(part):
        part.write(b'<?xml version="1.0" encoding="UTF-8"?>')
        part.write(b'<sst xmlns="%s"%s>%s' % (MAIN_NS.encode(), root, before))
        for _ in range(repeat):
            part.write(items)
        part.write(b"</sst>")

    return write


@pytest.fixture
def openpyxl_calls(monkeypatch):
    """The workbooks handed to openpyxl, to show that a file was refused before."""
    calls, load_workbook = [], read.load_workbook

    def counting(*args, **kwargs):
        calls.append(args)
        return load_workbook(*args, **kwargs)

    monkeypatch.setattr(read, "load_workbook", counting)
    return calls


# --- formulas and error cells (item 4) -------------------------------------------------------
# In a file laid out like the template: C unit_name, G name, H annual_target, N definition,
# R-U target_q1-4; the good rows are on rows 3-5 (row 1: keys, row 2: labels).


def test_formulas_saved_without_values_are_errors_and_remove_no_target(registry):
    run_import(xlsx_bytes(good_rows()))
    before = registry_state(), QuarterTarget.history.count()
    rows = good_rows()
    # A script's file: openpyxl writes these as formulas without computed values. Read as
    # blank they removed both targets from a file reported valid.
    rows[0] |= {"target_q1": "=H3/4", "target_q2": "=H3/2", "unit_name": "=VLOOKUP(B3,units!A:B,2,0)"}
    result = run_import(xlsx_bytes(rows))
    assert [(error.row, error.column, error.letter, error.message) for error in result.errors] == [
        (3, "target_q1", "R", "R3" + FORMULA_WITHOUT_VALUE),
        (3, "target_q2", "S", "S3" + FORMULA_WITHOUT_VALUE),
    ]  # unit_name is not imported: its formula is no error
    assert (registry_state(), QuarterTarget.history.count()) == before


def test_rows_of_nothing_but_formulas_without_values_are_blank_rows(registry):
    rows = good_rows() + [{"unit_name": "=VLOOKUP(B6,units!A:B,2,0)", "target_q4": "=H6"}]
    result = run_import(xlsx_bytes(rows))
    assert result.ok, result.errors
    assert result.rows == 3


def test_a_required_cell_with_a_formula_without_value_says_so(registry):
    rows = good_rows()
    rows[1] |= {"annual_target": "=SUM(R4:U4)"}
    result = run_import(xlsx_bytes(rows))
    assert [(error.row, error.column, error.message) for error in result.errors] == [
        (4, "annual_target", "H4" + FORMULA_WITHOUT_VALUE)
    ]
    assert nothing_written()


def test_a_formula_is_read_as_the_value_excel_saved_with_it(registry):
    rows = good_rows()
    rows[0] |= {"target_q1": "=H3/4", "name": "=G4", "target_q4": '=IF(H3>0,"",1)'}
    data = rewrite(
        xlsx_bytes(rows),
        sheet(
            lambda xml: cached(
                cached(cached(xml, "R3", "25.5"), "G3", "ชื่อจากสูตร", kind="str"), "U3", "", kind="str"
            )
        ),
    )
    result = run_import(data)
    assert result.ok, result.errors
    best = Indicator.objects.get(code="0685")
    assert best.name == "ชื่อจากสูตร"
    # Excel shows Q4's formula as blank text: no target, as for a blank cell.
    assert dict(best.targets.values_list("quarter", "target")) == {
        1: Decimal("25.50"),
        2: Decimal(50),
        3: Decimal("75.50"),
    }


def test_cells_showing_an_error_are_errors_naming_the_cell(registry):
    rows = good_rows()
    rows[0] |= {"target_q1": "=1/0", "definition": "=VLOOKUP(1,A1:A2,3,0)"}
    edit = sheet(lambda xml: cached(cached(xml, "R3", "#DIV/0!", "e"), "N3", "#REF!", "e"))
    result = run_import(rewrite(xlsx_bytes(rows), edit))
    assert [(error.column, error.message) for error in result.errors] == [
        ("definition", "N3: ช่องนี้แสดงข้อผิดพลาด #REF! กรุณาแก้ไขใน Excel หรือพิมพ์ค่าลงไปแทน"),
        ("target_q1", "R3: ช่องนี้แสดงข้อผิดพลาด #DIV/0! กรุณาแก้ไขใน Excel หรือพิมพ์ค่าลงไปแทน"),
    ]
    assert nothing_written()


def test_formula_errors_are_listed_on_the_admin_page(admin_client, registry):
    rows = good_rows()
    rows[2] |= {"target_q3": "=R5*3"}
    response = admin_client.post(IMPORT_URL, {"file": SimpleUploadedFile("k.xlsx", xlsx_bytes(rows))})
    assert response.status_code == 200
    assert "T5: สูตรที่ยังไม่มีค่าที่คำนวณไว้" in response.text
    assert nothing_written()


def test_an_excel_file_with_shared_strings_and_dates_of_its_own_reads_as_before(registry):
    """Cells as Excel writes them: shared strings, no row or cell references."""
    texts = [b"5016", b"0685", "ตัวชี้วัดจาก Excel".encode(), "ร้อยละ".encode(), b"routine"]
    items = b"".join(b"<si><t>%s</t></si>" % text for text in texts)
    header = "".join(f'<c t="inlineStr"><is><t>{key}</t></is></c>' for key in EXCEL_KEYS)
    row = (
        '<c><v>2568</v></c><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c><v>3</v></c>'
        '<c t="s"><v>2</v></c><c><v>100</v></c><c t="s"><v>3</v></c><c t="s"><v>4</v></c>'
    )
    rows = f"<row>{header}</row><row>{row}</row>"
    xml = f'<worksheet xmlns="{MAIN_NS}"><sheetData>{rows}</sheetData></worksheet>'
    data = with_shared_strings(rewrite(xlsx_bytes([]), sheet(lambda _: xml)), strings(items))
    result = run_import(data)
    assert result.ok, result.errors
    indicator = Indicator.objects.get()
    assert (indicator.org_unit.code, indicator.code, indicator.name) == ("5016", "0685", "ตัวชี้วัดจาก Excel")
    assert (indicator.sequence, indicator.annual_target, indicator.unit_of_measure_id) == (3, 100, "ร้อยละ")


EXCEL_KEYS = ["fiscal_year", "unit_code", "indicator_code", "sequence", "name", "annual_target"]
EXCEL_KEYS += ["unit_of_measure", "indicator_type"]


# --- zip and XML bombs (item 4) --------------------------------------------------------------


def test_a_shared_strings_bomb_is_refused_at_once_before_openpyxl(registry, openpyxl_calls):
    """The issue's file: some 200 KB that unpack to millions of one-letter shared strings
    (openpyxl took 176 s and 636 MB, then the file was accepted)."""
    data = with_shared_strings(xlsx_bytes(good_rows()), strings(b"<si><t>a</t></si>" * 65_536, repeat=80))
    assert len(data) < 400 * 1024  # 5.2 million strings, 89 MB unpacked
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(read.ImportFileError) as refused:
            run_import(data)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(refused.value).startswith(REFUSED + "ส่วน xl/sharedStrings.xml ของไฟล์เมื่อคลายการบีบอัดมีขนาด")
    assert openpyxl_calls == []
    assert elapsed < 5  # in fact milliseconds: only the zip directory is read
    assert peak < 20 * MB
    assert nothing_written()


def test_too_many_shared_strings_are_refused_before_openpyxl(registry, openpyxl_calls):
    """250,000 different short texts pack only 4 times (no ratio alarm) but take openpyxl seconds."""
    items = b"".join(b"<si><t>%x</t></si>" % (number * 2_654_435_761 % 2**32) for number in range(250_000))
    data = with_shared_strings(xlsx_bytes(good_rows()), strings(items))
    with pytest.raises(read.ImportFileError) as refused:
        run_import(data)
    assert str(refused.value) == (
        REFUSED + "ไฟล์มีข้อความที่ไม่ซ้ำกันมากกว่า 200000 รายการ (shared strings) "
        "กรุณาบันทึกใหม่จาก Excel ให้มีเฉพาะแผ่นงานตัวชี้วัด หรือแบ่งเป็นหลายไฟล์"
    )
    assert openpyxl_calls == []
    assert nothing_written()


@pytest.mark.parametrize("prefix", [b"", b"x:"])
@pytest.mark.parametrize("cut", [1, 2, 3, 4, 5])
def test_shared_strings_are_counted_exactly_where_a_megabyte_ends(prefix, cut):
    """The count streams the part a megabyte at a time: a tag cut there counts once."""
    items = b"".join(b"<%bsi><%bt>%d</%bt></%bsi>" % (prefix, prefix, n, prefix, prefix) for n in range(100))
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s" xmlns:x="%s">' % ((MAIN_NS.encode(),) * 2)
    padding = b" " * (MB - cut - len(head))  # the first item's tag starts `cut` bytes before 1 MB

    def write(part):
        part.write(head + padding + items + b"</sst>")

    data = with_shared_strings(xlsx_bytes([]), write)
    with override_settings(IMPORT_XLSX_MAX_RATIO=100_000, IMPORT_XLSX_MAX_SHARED_STRINGS=100):
        read.check_archive(io.BytesIO(data))
    with override_settings(IMPORT_XLSX_MAX_RATIO=100_000, IMPORT_XLSX_MAX_SHARED_STRINGS=99):
        with pytest.raises(read.ImportFileError, match="99 รายการ"):
            read.check_archive(io.BytesIO(data))


def test_an_entity_bomb_in_the_xml_is_refused_at_once(registry):
    """XML entities that expand to a million shared strings from a 40 KB file: without
    defusedxml, Python's XML parser gives up only after some 10 s."""
    entity = b"".join(b"<si><t>%d</t></si>" % number for number in range(2000))
    rng = random.Random(8)
    references = b"".join(b"&e;<!--%x-->" % rng.getrandbits(64) for _ in range(3000))
    doctype = b'<!DOCTYPE sst [<!ENTITY e "%s">]>' % entity

    def write(part):
        part.write(b'<?xml version="1.0"?>' + doctype)
        part.write(b'<sst xmlns="%s">%s</sst>' % (MAIN_NS.encode(), references))

    data = with_shared_strings(xlsx_bytes(good_rows()), write)
    started = time.perf_counter()
    with pytest.raises(read.ImportFileError, match=re.escape(UNREADABLE)):
        run_import(data)
    assert time.perf_counter() - started < 5
    assert nothing_written()


def test_an_archive_of_too_many_parts_is_refused(registry, openpyxl_calls):
    data = xlsx_bytes(good_rows())
    parts = len(zipfile.ZipFile(io.BytesIO(data)).namelist())
    with override_settings(IMPORT_XLSX_MAX_MEMBERS=parts - 1):
        with pytest.raises(read.ImportFileError) as refused:
            run_import(data)
    assert str(refused.value).startswith(f"{REFUSED}ไฟล์มีส่วนประกอบ {parts} ส่วน (ได้ไม่เกิน {parts - 1} ส่วน)")
    assert openpyxl_calls == []
    with override_settings(IMPORT_XLSX_MAX_MEMBERS=parts):
        assert run_import(data).ok


def test_an_archive_too_large_unpacked_is_refused(registry, openpyxl_calls):
    filler = f"<!--{os.urandom(600_000).hex()}-->"  # 1.2 MB that hardly pack
    data = rewrite(
        xlsx_bytes(good_rows()), sheet(lambda xml: replace_once(xml, "<sheetData>", filler + "<sheetData>"))
    )
    with override_settings(IMPORT_XLSX_MAX_UNPACKED_MB=1), pytest.raises(read.ImportFileError) as refused:
        run_import(data)
    expected = rf"{re.escape(REFUSED)}ไฟล์เมื่อคลายการบีบอัดมีขนาด 1\.\d MB \(ได้ไม่เกิน 1 MB\)"
    assert re.match(expected, str(refused.value))
    with override_settings(IMPORT_XLSX_MAX_PART_MB=1), pytest.raises(read.ImportFileError) as refused:
        run_import(data)
    assert str(refused.value).startswith(f"{REFUSED}ส่วน xl/worksheets/sheet1.xml ของไฟล์")
    assert openpyxl_calls == []
    assert run_import(data).ok


def test_a_part_packed_too_tightly_is_refused(registry, openpyxl_calls):
    """2 MB of blanks in the sheet pack a thousand times: no spreadsheet writes that."""
    edit = sheet(lambda xml: xml.replace("<sheetData>", "<sheetData>" + " " * (2 * MB)))
    with pytest.raises(read.ImportFileError) as refused:
        run_import(rewrite(xlsx_bytes(good_rows()), edit))
    assert re.match(
        rf"{re.escape(REFUSED)}ส่วน xl/worksheets/sheet1.xml ของไฟล์เมื่อคลายการบีบอัดมีขนาด \d+ เท่าของขนาดที่บีบอัด "
        r"\(ได้ไม่เกิน 100 เท่า\)",
        str(refused.value),
    )
    assert openpyxl_calls == []


def test_oversized_styles_are_refused_before_openpyxl_parses_them(registry, openpyxl_calls):
    """openpyxl parses styles whole and slowly (Excel's largest, 7 MB, take it 5 s)."""
    filler = f"<!--{os.urandom(6 * MB).hex()}-->"  # 12 MB that hardly pack
    edit = {"xl/styles.xml": lambda xml: replace_once(xml, "<numFmts", filler + "<numFmts")}
    data = rewrite(xlsx_bytes(good_rows()), edit)
    with pytest.raises(read.ImportFileError) as refused:
        run_import(data)
    assert str(refused.value).startswith(f"{REFUSED}ส่วน xl/styles.xml ของไฟล์เมื่อคลายการบีบอัดมีขนาด 12.0 MB")
    assert openpyxl_calls == []


def city_texts(rng: random.Random, lengths: list[int]) -> list[str]:
    """Thai texts of random words, of about the given lengths (one random byte a word)."""
    words = (
        "การ ดำเนิน งาน โครงการ ความ สำเร็จ ของ หน่วยงาน ร้อยละ จำนวน ผู้ ใช้ บริการ ประชาชน เขต "
        "กรุงเทพมหานคร พัฒนา ระบบ ข้อมูล สารสนเทศ ติดตาม ประเมินผล แผน ยุทธศาสตร์ ปีงบประมาณ "
        "ไตรมาส เป้าหมาย ตัวชี้วัด คุณภาพ สิ่งแวดล้อม ขยะ มูลฝอย ถนน ทางเท้า น้ำท่วม ระบายน้ำ "
        "สาธารณสุข โรงเรียน นักเรียน ผู้สูงอายุ ชุมชน (ร้อยละ) 2568 x 100 / ๆ"
    ).split()
    table = {byte: f"{words[byte % len(words)]} " for byte in range(256)}
    count = sum(lengths) // 6  # words of about 6 characters with their space
    text = rng.randbytes(count).decode("latin-1").translate(table)
    texts, start = [], 0
    for length in lengths:
        texts.append(text[start : start + length].strip())
        start += length
    return texts


def test_a_large_city_file_passes_the_checks_comfortably():
    """2,500 indicators with long Thai texts, as Excel saves them (shared strings) and as
    the export writes them (inline strings, Thai as character references: 2.3 times larger)."""
    rng = random.Random(2568)
    # Per indicator: name, definition, calculation method, data source.
    lengths = [(60, 200), (400, 2000), (100, 500), (40, 200)]
    texts = city_texts(rng, [rng.randint(low, high) for _ in range(2500) for low, high in lengths])
    items = b"".join(b"<si><t>%s</t></si>" % text.encode() for text in texts)
    cells = "".join(f'<c r="A{n}" t="s"><v>{n}</v></c><c r="B{n}"><v>{n}.5</v></c>' for n in range(1, 2502))
    excel = with_shared_strings(
        rewrite(xlsx_bytes([]), sheet(lambda xml: xml.replace("<sheetData>", f"<sheetData>{cells}"))),
        strings(items),
    )
    inline = (
        "".join(
            f'<c r="C{n}" t="inlineStr"><is><t>{text}</t></is></c>' for n, text in enumerate(texts, start=1)
        )
        .encode("ascii", "xmlcharrefreplace")
        .decode()
    )
    export = rewrite(xlsx_bytes([]), sheet(lambda xml: xml.replace("<sheetData>", f"<sheetData>{inline}")))
    for data in (excel, export):
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
        largest = max(parts, key=lambda part: part.file_size)
        # Far from every default limit: 200 MB, 100 MB a part, packed 100 times, 200,000 strings.
        assert sum(part.file_size for part in parts) < 50 * MB and largest.file_size > 10 * MB
        assert largest.file_size / largest.compress_size < 25
        read.check_archive(io.BytesIO(data))
    with override_settings(IMPORT_XLSX_MAX_SHARED_STRINGS=len(texts) - 1):
        with pytest.raises(read.ImportFileError):
            read.check_archive(io.BytesIO(excel))


# --- NUL and other control characters (item 3) -------------------------------------------------


def test_control_characters_in_csv_cells_are_errors_naming_the_cell(registry):
    rows = good_rows()
    rows[0] |= {"name": "ชื่อ\x00ตัวชี้วัด", "definition": "ข้อความ\x1b[31m"}
    rows[1] |= {"unit_code": "02\x0000", "strategy_code": "7.3\x00"}
    rows[2] |= {"annual_target": "5\x00", "agreement_ref": "3.2\x7f", "data_source": "\x85"}
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert [(error.row, error.column, error.message) for error in result.errors] == [
        (2, "name", control_character("U+0000")),
        (2, "definition", control_character("U+001B")),
        (3, "unit_code", control_character("U+0000")),
        (3, "strategy_code", control_character("U+0000")),
        (4, "agreement_ref", control_character("U+007F")),
        (4, "annual_target", control_character("U+0000")),
        (4, "data_source", control_character("U+0085")),
    ]
    assert nothing_written()


def test_tabs_and_line_breaks_are_text_not_control_characters(registry):
    rows = good_rows()[:1]
    rows[0]["definition"] = "บรรทัดแรก\r\nบรรทัด\tสอง\rบรรทัดสาม"
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert result.ok, result.errors
    assert Indicator.objects.get().definition == "บรรทัดแรก\nบรรทัด\tสอง\nบรรทัดสาม"


def test_nul_through_the_admin_page_and_the_command_is_an_error_not_a_crash(admin_client, registry, tmp_path):
    rows = good_rows()
    rows[1]["name"] = "\x00"
    data = csv_bytes(rows)
    response = admin_client.post(IMPORT_URL, {"file": SimpleUploadedFile("nul.csv", data)})
    assert response.status_code == 200
    assert control_character("U+0000") in response.text
    path = tmp_path / "nul.csv"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported: 1 error"):
        call_command("import_indicators", str(path), stderr=err)
    assert f"row 3, column name (G): {control_character('U+0000')}" in err.getvalue()
    assert nothing_written()


def test_control_characters_in_xlsx_cells(registry):
    rows = good_rows()
    rows[0]["name"] = "ชื่อ\x7f"  # XML allows DEL and C1 controls, not NUL
    rows[1]["definition"] = "\x9b31m"
    result = run_import(xlsx_bytes(rows))
    assert [(error.row, error.column, error.letter, error.message) for error in result.errors] == [
        (3, "name", "G", control_character("U+007F")),
        (4, "definition", "N", control_character("U+009B")),
    ]
    # NUL cannot be written in XML at all, not even as &#0;: the file is not a workbook.
    for nul in ("\x00", "&#0;"):
        edit = sheet(lambda xml, nul=nul: replace_once(xml, ">fiscal_year<", f">fiscal{nul}_year<"))
        with pytest.raises(read.ImportFileError, match=re.escape(UNREADABLE)):
            run_import(rewrite(xlsx_bytes(good_rows()), edit))
    assert nothing_written()


def test_control_characters_in_a_header_are_shown_harmlessly(registry):
    keys = ["fiscal_year", "unit_code", "indicator_code", "sequence", "name", "annual_target"]
    keys += ["unit_of_measure", "indicator_type", "remarks\x00" + "x" * 500]
    result = run_import(csv_bytes(good_rows(), keys=keys), "indicators.csv")
    assert [(error.row, error.letter, error.column) for error in result.errors] == [
        (1, "I", "remarks\ufffd" + "x" * 52 + "…")
    ]


# --- numbers that are not numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("NaN", NOT_A_NUMBER),
        ("nan", NOT_A_NUMBER),
        ("sNaN", NOT_A_NUMBER),
        ("Infinity", NOT_A_NUMBER),
        ("-Infinity", NOT_A_NUMBER),
        ("inf", NOT_A_NUMBER),
        ("1e400", TOO_LARGE),
        ("1E+999999999", TOO_LARGE),
        ("9" * 5000, TOO_LARGE),
        ("10000000000000", TOO_LARGE),
        ("99999999999999.99", TOO_LARGE),
        ("1e-400", "ทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
        ("0." + "0" * 5000 + "1", "ทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
        ("-1e400", "ตัวเลขต้องไม่ติดลบ"),
        ("1.2.3", NOT_A_NUMBER),
        ("๑๒๓.๔๕๖", "ทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
    ],
)
def test_numbers_that_are_not_numbers_are_clear_errors(registry, cell, message):
    rows = good_rows()[:1]
    rows[0] |= {"annual_target": cell, "target_q1": cell}
    for data, name in ((csv_bytes(rows), "indicators.csv"), (xlsx_bytes(rows), "indicators.xlsx")):
        result = run_import(data, name)
        assert [(error.column, error.message) for error in result.errors] == [
            ("annual_target", message),
            ("target_q1", message),
        ]
    assert nothing_written()


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("-0", "0.00"),
        ("-0.00", "0.00"),
        ("1e2", "100.00"),
        ("1,250.5", "1250.50"),
        ("๑,๒๕๐.๕", "1250.50"),
        ("9999999999999.99", "9999999999999.99"),
        (" 7 ", "7.00"),
    ],
)
def test_numbers_written_in_other_ways_are_stored_as_plain_decimals(registry, cell, value):
    rows = good_rows()[:1]
    rows[0] |= {"annual_target": cell, "target_q1": cell}
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert result.ok, result.errors
    indicator = Indicator.objects.get()
    indicator.refresh_from_db()
    assert str(indicator.annual_target) == value
    assert str(indicator.targets.get(quarter=1).target) == value


@pytest.mark.parametrize("cell", ["NaN", "Infinity", "1e400", "-0", "0", "2.5", "32768", "9" * 5000])
def test_whole_numbers_and_years_refuse_the_same(registry, cell):
    rows = good_rows()[:1]
    rows[0] |= {"sequence": cell, "fiscal_year": cell}
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert [(error.column, error.message) for error in result.errors] == [
        ("fiscal_year", "กรุณากรอกปี พ.ศ. เช่น 2568"),
        ("sequence", "กรุณากรอกจำนวนเต็มตั้งแต่ 1 ถึง 32767"),
    ]


# --- CSV injection (item 5) ------------------------------------------------------------------

RISKY_NAMES = ["=1+2", "+66 2 123 4567", "-5", "@SUM(A1:A2)", "'=already quoted", "''+twice"]


@pytest.fixture
def risky(registry):
    """Indicators whose texts a spreadsheet would run as formulas."""
    year, unit = make_fiscal_year(2568), make_unit("0300", "สำนักการโยธา")
    for number, name in enumerate(RISKY_NAMES, start=1):
        make_indicator(year, unit, code=f"{number:04d}", sequence=number, name=name, agreement_ref="-1")
    first = Indicator.objects.get(code="0001")
    first.definition, first.data_source = "\tแท็บนำหน้า", "\rขึ้นบรรทัด"
    first.save()
    make_report(first, 1, "5")


def exported_csv(client) -> list[dict]:
    response = client.get(reverse("indicator_export_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[2:]]


def test_the_csv_export_puts_an_apostrophe_before_formulas(executive_client, risky):
    rows = {row["indicator_code"]: row for row in exported_csv(executive_client)}
    assert [rows[f"{number:04d}"]["name"] for number in range(1, 7)] == [
        "'=1+2",
        "'+66 2 123 4567",
        "'-5",
        "'@SUM(A1:A2)",
        "''=already quoted",
        "'''+twice",
    ]
    first = rows["0001"]
    assert (first["definition"], first["data_source"]) == ("'\tแท็บนำหน้า", "'\rขึ้นบรรทัด")
    assert first["agreement_ref"] == "'-1"
    # Numbers stay numbers, even negative ones (which the registry does not hold today).
    assert (first["result_q1"], first["annual_target"]) == ("5.00", "100.00")
    assert [write.csv_cell(number) for number in (Decimal("-5"), -5, Decimal("-0.50"))] == [
        "-5",
        "-5",
        "-0.50",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_risky_texts_round_trip_through_the_export(executive_client, risky, fmt):
    Indicator.objects.filter(code="0001").update(definition="", data_source="")  # the import strips blanks
    before = registry_state()
    response = executive_client.get(reverse(f"indicator_export_{fmt}"))
    Indicator.objects.all().delete()
    result = run_import(response.content, f"export.{fmt}")
    assert result.ok, result.errors
    assert registry_state() == before


def test_the_xlsx_export_writes_formula_like_texts_as_text_cells(executive_client, risky):
    content = executive_client.get(reverse("indicator_export_xlsx")).content
    workbook = openpyxl.load_workbook(io.BytesIO(content))  # formulas, not values
    names = {row[6].value: row[6] for row in workbook.worksheets[0].iter_rows(min_row=3)}
    assert set(names) == {"=1+2", "+66 2 123 4567", "-5", "@SUM(A1:A2)", "''=already quoted", "'''+twice"}
    assert {cell.data_type for cell in names.values()} == {"s"}
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")


def test_the_import_reads_an_apostrophe_before_a_formula_as_the_text(registry):
    rows = good_rows()[:1]
    rows[0] |= {"name": "'=ชื่อ", "definition": "'ไม่ใช่สูตร", "calculation_method": "''-x"}
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert result.ok, result.errors
    indicator = Indicator.objects.get()
    assert (indicator.name, indicator.definition, indicator.calculation_method) == ("=ชื่อ", "'ไม่ใช่สูตร", "'-x")
    rows[0]["annual_target"] = "'-5"  # a number the export never quotes: read as -5
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert [(error.column, error.message) for error in result.errors] == [("annual_target", "ตัวเลขต้องไม่ติดลบ")]
