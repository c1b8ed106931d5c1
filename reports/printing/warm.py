"""Warming a fresh process up for printing, before its first request
(gunicorn.conf.py's ``post_worker_init`` calls ``reports.printing.warm_up``).

A process's first PDF pays for more than its own rendering: fontconfig's scan and
the fonts parsed (the shared font configuration), Pango's and HarfBuzz's caches for
each font and size, fontTools' subsetter, ICU's Thai dictionary, cffi's C types,
pikepdf, the templates compiled, the URLconf and views imported. Printing a real sheet
(the first of the latest year; a tiny sheet-like page when there is none) as a print
is made, body then footer stamped, pays all that once at start-up instead. Nothing is
kept: the sheet does not go into the PDF cache.
"""

from django.db import connections
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import override

from reports.printing.fingerprint import code_version
from reports.printing.footer import FOOTER_TEMPLATE, stamp
from reports.printing.render import SHEET_TEMPLATE, html_to_pdf, sheet_html

TINY_SHEET_HTML = (
    '<!doctype html><html lang="th"><head><meta charset="utf-8">'
    '<link rel="stylesheet" href="css/sheet.css"></head><body class="pdf"><article class="sheet">'
    '<h3 class="sheet-name">ร้อยละความสำเร็จของโครงการ (Best Service)</h3>'
    '<section class="sheet-section sheet-text"><p>1. ผู้รับจ้างดำเนินการตามสัญญา 2568 4.</p></section>'
    '<table class="sheet-quarters"><tr><th>ไตรมาส</th><td class="num">1,234.50</td></tr></table>'
    "</article></body></html>"
)


def warm_up_html() -> str:
    from reports.sheet import build_sheet, sheet_queryset

    try:
        indicator = (
            sheet_queryset().select_related("annual_summary").order_by("-fiscal_year__year", "pk").first()
        )
    finally:
        # The worker's requests run in other threads, with connections of their own.
        connections.close_all()
    return sheet_html(build_sheet(indicator)) if indicator is not None else TINY_SHEET_HTML


def warm_up() -> None:
    reverse("indicator_pdf", args=[1])  # the URLconf, and with it the views, imported
    with override("th"):
        for template in (SHEET_TEMPLATE, "reports/_sheet.html", FOOTER_TEMPLATE):
            get_template(template)
        body, _pages = html_to_pdf(warm_up_html())
        stamp(body, "พิมพ์เมื่อ 1 มกราคม 2569 09:00 โดย ระบบ", "")
    code_version()  # the hash of the templates and catalogues in every sheet's content key
