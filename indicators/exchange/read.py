"""Reading an import file's rows, .xlsx or .csv, as the cells Excel shows; a workbook
is checked against zip bombs before openpyxl opens it."""

import csv
import io
import re
import zipfile
import zlib
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext
from openpyxl.packaging.manifest import Manifest
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS, SHEET_MAIN_NS, WORKSHEET_TYPE
from openpyxl.xml.functions import fromstring, iterparse

from indicators.exchange.cells import UnreadableCell

MAX_ROWS = 20_000
MAX_COLUMNS = 200  # far more than the layout has: what lies beyond is not read


class ImportFileError(Exception):
    """The file as a whole cannot be read; ``str(error)`` says why, for the user."""


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


class UnmeasuredWorksheet(ReadOnlyWorksheet):
    """A read-only worksheet that does not measure itself on opening: without a
    <dimension> element (files saved by streaming writers, the export's among them)
    openpyxl finds the size by parsing the whole sheet, a second full read that
    ``read_sheet``, which never asks the size, does not need."""

    def _get_size(self):
        pass


class SheetsReader(ExcelReader):
    """``openpyxl.load_workbook(read_only=True)``, with its worksheets unmeasured.
    Chart sheets are left out (``workbook.worksheets`` never lists them)."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                worksheet = UnmeasuredWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)


def load_workbook(file, read_only: bool = True, data_only: bool = True):
    """``openpyxl.load_workbook`` (read-only), its worksheets unmeasured."""
    reader = SheetsReader(file, read_only=read_only, data_only=data_only)
    reader.read()
    return reader.wb


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
