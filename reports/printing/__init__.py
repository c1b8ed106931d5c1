"""Printing detail sheets as PDF with WeasyPrint: one pipeline for the single sheet and
for the sheets of books (``render``), and what makes Thai text in them exact, installed
once at start-up by ``ReportsConfig.ready`` (``install``):

- ``actual_text``: each line of Thai inside a /Span with /ActualText, so that search and
  copy give the text as written;
- ``thai_breaks``: Thai lines break between words, where ICU (browsers) breaks them;
- ``stylesheets``: our static stylesheets parsed once per process, not once per PDF;
- ``compression``: the PDF's streams deflated at zlib's default level, not its slowest.

``render`` pauses Python's garbage collector while it renders (``collector``).

A single sheet's print is its cached body with this print's footer stamped on it
(``footer``, reports/sheet_pdf.py); ``warm_up`` readies a new process for printing.
"""


def warm_up() -> None:
    """Print a sheet, so that this process's first real print is as fast as the next
    (fonts, renderer, templates loaded): gunicorn.conf.py calls it in each new worker."""
    from reports.printing.warm import warm_up

    warm_up()
