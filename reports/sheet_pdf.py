"""The single sheet's PDF, printed at browser speed when it was printed before.

A print is the sheet's body (everything but "printed ... by ...") with the footer of
this print stamped on it (reports/printing/footer.py). The body is kept in the "pdf"
cache (settings.CACHES: files shared by the server's workers, bounded) under the
fingerprint the books give their sheets: a hash of the body's HTML and of everything
else that shapes the PDF (stylesheets, fonts, line-break rules). Any change to the
sheet changes its HTML, so a changed sheet is rendered again and an unchanged one is
never stale; the header names the unit, so two units' sheets never share an entry.

The cache is asked only for a sheet already fetched through the access rules
(``sheet_for_user``): a key is not a permission.
"""

import logging

from django.core.cache import caches

from reports.books.rendering import fingerprint
from reports.printing.footer import stamp
from reports.printing.render import html_to_pdf, printed_footer, sheet_html

CACHE = "pdf"
logger = logging.getLogger(__name__)


def body_pdf(sheet) -> bytes:
    """The sheet's PDF without who printed it: from the cache while its content is unchanged."""
    # No request: the PDF shows nothing of it, and the HTML is then exactly a book's sheet's.
    html = sheet_html(sheet)
    cache = caches[CACHE]
    key = f"sheet-body:{fingerprint(html)}"
    pdf = cache.get(key)
    if pdf is None:
        pdf, _pages = html_to_pdf(html)
        try:
            cache.set(key, pdf)
        except OSError:  # a full disk or an unwritable directory must not stop a print
            logger.exception("Could not keep a sheet's PDF in the cache")
    return pdf


def sheet_pdf(sheet, printed_at, printed_by: str) -> bytes:
    """The sheet as printed by ``printed_by`` at ``printed_at`` (shown in each page's footer)."""
    return stamp(body_pdf(sheet), printed_footer(printed_at, printed_by), printed_by)
