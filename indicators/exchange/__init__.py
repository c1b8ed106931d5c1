"""Import and export of indicators with their quarter targets, as .xlsx or .csv.

One column layout serves the import, the export and the blank template
(``/indicators/import-template.xlsx/``; its second sheet describes every column):

- ``cells``: reading one cell (text, codes, numbers, choices, yes/no; formulas, control
  characters);
- ``columns``: the layout, one ``Column`` per key, and the read-only columns other apps
  add to the export;
- ``read``: an .xlsx or .csv file's rows, and the checks against zip bombs;
- ``load``: validation of every row, then the bulk upsert;
- ``write``: the .xlsx and .csv writers, the blank template, the download;
- ``forms``: the admin's import form.

The export itself (the list's indicators with their results, statuses and scores) is
the reports app's (``reports/export.py``).

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
    unit_of_measure*  the unit's name (ร้อยละ, ราย, ตัน …: the UnitOfMeasure table); the first
                      import's keys (percent, count, level, baht, times, cases, days,
                      score) are read as the eight units' names. A unit not in the table
                      is an error listing it, unless the import adds new units
                      (the admin page's tick box, the command's --add-new-units)
    indicator_type*   routine, strategic, mission, policy, or the label
    result_level      output, outcome, or the label; blank: none
    direction         higher, lower, or the label; blank: higher is better
    is_cumulative     yes/no (also 1/0, true/false, ใช่/ไม่ใช่); blank: yes
    definition, calculation_method, data_source    text
    strategy_code     a strategy-tree code in Arabic or Thai digits (7.3.1.1, ๗.๓.๑.๑); must exist
    target_q1 … target_q4   planned (cumulative) quarter targets, numbers >= 0

    The export adds read-only columns that the import ignores, so that an export can
    be imported again: result_q1…4, status_q1…4, score_q1…4, criterion_1_q1…4 and
    criterion_2_q1…4 (the year's criteria 2.1 and 2.2), added by the reports app
    (``columns.add_read_only_columns``).

Choices
    - Units of measure are the exception: a file may name a new one (ตัน, ลำ), which
      the administrator adds from the check's page, or with the import when told to.
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
