"""Printing detail sheets as PDF with WeasyPrint: one pipeline for the single sheet and
for the sheets of books (``render``), and what makes Thai text in them exact, installed
once at start-up by ``ReportsConfig.ready`` (``install``):

- ``actual_text``: each line of Thai inside a /Span with /ActualText, so that search and
  copy give the text as written;
- ``thai_breaks``: Thai lines break between words, where ICU (browsers) breaks them.
"""


def warm_up() -> None:
    """Print a tiny sheet, so that this process's first real print is as fast as the next
    (fonts, renderer, templates loaded): gunicorn.conf.py calls it in each new worker."""
    from reports.printing.warm import warm_up

    warm_up()
