"""The detail page's sheet, rendered once per content of the sheet.

The sheet part of the page (``reports/_sheet.html`` for the screen) is the same for
everyone who may read it, but for its "Back" link (where the user came from). It is kept
in the "sheets" cache (each process's memory, settings.CACHES) under the sheet's content key
(reports/sheet_version.py: tokens that database triggers replace on any change to what
the sheet shows, the templates and catalogues, the language), cut in two around the
"Back" link's address, which each request puts back. A changed sheet has a new key, so
it is never served stale; a sheet without a key (data older than the triggers) is
rendered as before, every time.

What depends on the user (the quarters' actions, with a CSRF token) stays outside: the
page renders it per request (templates/reports/indicator_detail.html). The cache is asked
only for an indicator already fetched through the access rules: a key is not a permission.
"""

import secrets

from django.core.cache import caches
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from reports.sheet import Sheet, build_sheet, sheet_queryset
from reports.sheet_version import content_key

CACHE = "sheets"
# How long a rendered sheet is kept (a change to what it shows makes a new key anyway).
CACHE_SECONDS = 3600


def fetch_sheet(indicator) -> Sheet:
    """The whole sheet of ``indicator`` (already fetched through the access rules)."""
    return build_sheet(sheet_queryset().select_related("annual_summary").get(pk=indicator.pk))


def render_parts(sheet: Sheet) -> tuple[str, str] | None:
    """The sheet's HTML for the screen, before and after the "Back" link's address; None if
    the address is not found exactly once. A random stand-in marks it: no content can hold it."""
    marker = secrets.token_hex(16)
    html = render_to_string("reports/_sheet.html", {"sheet": sheet, "for_pdf": False, "back_url": marker})
    if html.count(marker) != 1:
        return None
    before, after = html.split(marker)
    return before, after


def join_parts(parts: tuple[str, str], back_url: str) -> SafeString:
    """The sheet's HTML with the "Back" link's address escaped as the template escapes it."""
    before, after = parts
    return mark_safe(before + conditional_escape(back_url) + after)


def sheet_parts(indicator) -> tuple[tuple[str, str] | None, Sheet | None]:
    """The rendered sheet of ``indicator`` in two parts (from the cache while its content is
    unchanged), and the sheet when it had to be fetched. (None, sheet) when the sheet has no
    content key: the page then renders it as before."""
    key = content_key(indicator)
    if key is None:
        return None, fetch_sheet(indicator)
    # Links in the sheet start with the script prefix (the path the portal is served under).
    cache_key = f"detail-sheet:{key}:{get_script_prefix()}"
    cache = caches[CACHE]
    parts = cache.get(cache_key)
    if parts is not None:
        return parts, None
    sheet = fetch_sheet(indicator)
    parts = render_parts(sheet)
    if parts is not None:
        cache.set(cache_key, parts, CACHE_SECONDS)
    return parts, sheet
