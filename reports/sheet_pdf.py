"""The single sheet's PDF, printed at browser speed when it was printed before.

A print is the sheet's body (everything but "printed ... by ...") with the footer of
this print stamped on it (reports/printing/footer.py). The body is kept in the "pdf"
cache (settings.CACHES: files shared by the server's workers, bounded) under the
fingerprint the books give their sheets: a hash of the body's HTML and of everything
else that shapes the PDF (stylesheets, fonts, line-break rules). The header names the
unit, so two units' sheets never share an entry.

To find that entry without fetching the sheet and rendering its HTML, the cache also
maps the sheet's content key (reports/sheet_version.py: tokens that database triggers
replace on any change to what the sheet shows, the code that renders it and the
language) to the fingerprint. A repeat print of an unchanged sheet is then the access
query (which reads the key's tokens too), two cache reads and the stamp. A changed sheet
has a new key, so it is never served stale; a sheet whose key is unknown is fetched and fingerprinted.

The cache is asked only for an indicator already fetched through the access rules
(``visible_indicators``): a key is not a permission.
"""

import logging

from django.core.cache import caches
from django.shortcuts import get_object_or_404

from indicators.access import visible_indicators
from indicators.models import Indicator
from reports.printing.fingerprint import fingerprint
from reports.printing.footer import stamp
from reports.printing.render import html_to_pdf, printed_footer, sheet_html
from reports.sheet import build_sheet, sheet_queryset
from reports.sheet_version import content_key, with_tokens

CACHE = "pdf"
logger = logging.getLogger(__name__)


def _keep(cache, key: str, value) -> None:
    try:
        cache.set(key, value)
    except OSError:  # a full disk or an unwritable directory must not stop a print
        logger.exception("Could not keep a sheet's PDF in the cache")


def body_pdf(indicator) -> bytes:
    """The sheet's PDF without who printed it: from the cache while its content is unchanged.
    ``indicator`` has been fetched through the access rules; its sheet is fetched only
    when the cache has no body for its content."""
    cache = caches[CACHE]
    key = content_key(indicator)
    if key is not None:
        known = cache.get(f"sheet-key:{key}")
        pdf = cache.get(f"sheet-body:{known}") if known else None
        if pdf is not None:
            return pdf
    # No request: the PDF shows nothing of it, and the HTML is then exactly a book's sheet's.
    html = sheet_html(build_sheet(sheet_queryset().select_related("annual_summary").get(pk=indicator.pk)))
    body_key = fingerprint(html)
    pdf = cache.get(f"sheet-body:{body_key}")
    if pdf is None:
        pdf, _pages = html_to_pdf(html)
        _keep(cache, f"sheet-body:{body_key}", pdf)
    if key is not None:
        _keep(cache, f"sheet-key:{key}", body_key)
    return pdf


def sheet_pdf(indicator, printed_at, printed_by: str) -> bytes:
    """The sheet as printed by ``printed_by`` at ``printed_at`` (shown in each page's footer)."""
    return stamp(body_pdf(indicator), printed_footer(printed_at, printed_by), printed_by)


def indicator_for_user(user, pk: int) -> Indicator:
    """Indicator ``pk`` (with its unit, year and content tokens) if ``user`` may read its
    sheet, else 404: one query, for what needs the access decision but not the sheet (its PDF)."""
    queryset = with_tokens(Indicator.objects.select_related("org_unit", "fiscal_year"))
    queryset = visible_indicators(user, queryset)
    return get_object_or_404(queryset, pk=pk)
