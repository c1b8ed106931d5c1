"""Writing exchange files: the export's .xlsx and .csv from rows and columns, the blank
import template, and the download response."""

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from indicators.exchange.cells import neutralised
from indicators.exchange.columns import DEFAULT_CRITERIA, FORMULAS_HELP, IMPORT_COLUMNS, Column, ExportRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


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


def download(content: bytes, fmt: str, name: str) -> HttpResponse:
    """``content`` as an attachment named ``name``.``fmt`` (reduced to safe characters)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    response["Content-Disposition"] = f'attachment; filename="{safe_name}.{fmt}"'
    return response
