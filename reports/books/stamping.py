"""A book's footer on every page after the cover: "printed … by …" and the book's own
page number ("หน้า 7 จาก 120"), the number its contents and outline give.

Sheets are rendered without a footer, so that their PDFs (and fingerprints) do not
depend on where in which book they land, nor on when and for whom it is printed. At
assembly WeasyPrint renders the footers alone, on blank pages of the sheets' page size
and with the sheets' @page rules (sheet.css), in batches; qpdf (pikepdf) lays each over
its book page as a form XObject.
"""

import io

import pikepdf
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from indicators import thai
from reports.printing.render import html_to_pdf

STAMP_TEMPLATE = "reports/book_stamp.html"
# Pages of footers per WeasyPrint render: a few hundred take a second or two and
# little memory; a fiscal year's book has several thousand pages.
BATCH_PAGES = 500


def printed_footer(printed_at, printed_by: str) -> str:
    return _("Printed %(date)s by %(user)s") % {"date": thai.format_datetime(printed_at), "user": printed_by}


def footer_pdf(first: int, count: int, total: int, footer: str) -> bytes:
    """``count`` blank pages bearing the footer and the page numbers first.. of ``total``."""
    html = render_to_string(
        STAMP_TEMPLATE,
        {
            "first": first,
            "pages": range(count),
            "total": total,
            "footer_left": footer,
            "page_label": _("Page"),
            "of_label": _("of"),
        },
    )
    pdf, pages = html_to_pdf(html)
    assert pages == count, (pages, count)
    return pdf


def stamp_pages(book_pdf: pikepdf.Pdf, first: int, footer: str, keep_open: list) -> None:
    """Lay the book's footer over its pages ``first``.. (numbered from 1). The footers'
    PDFs are appended to ``keep_open``: their content is copied when the book is saved."""
    total = len(book_pdf.pages)
    for start in range(first, total + 1, BATCH_PAGES):
        count = min(BATCH_PAGES, total - start + 1)
        stamps = pikepdf.open(io.BytesIO(footer_pdf(start, count, total, footer)))
        keep_open.append(stamps)
        for offset, stamp in enumerate(stamps.pages):
            book_pdf.pages[start - 1 + offset].add_overlay(stamp)
