"""Printing detail sheets as PDF with WeasyPrint: one pipeline for the single sheet and
for the sheets of books (``render``), and what makes Thai text in them exact, installed
once at start-up by ``ReportsConfig.ready`` (``install``):

- ``actual_text``: each line of Thai inside a /Span with /ActualText, so that search and
  copy give the text as written;
- ``thai_breaks``: Thai lines break between words, where ICU (browsers) breaks them.
"""
