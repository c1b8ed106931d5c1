"""Detail sheets to PDF: the sheet's HTML with its page header and footer, then
WeasyPrint with one shared font configuration per process. The single sheet (with who
printed it, when) and the sheets of books (without: their fingerprints change only
with their content) come through here."""

from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from indicators import thai
from reports.printing.collector import collection_paused

STATIC_DIR_URI = (settings.BASE_DIR / "static").as_uri() + "/"
SHEET_TEMPLATE = "reports/indicator_pdf.html"


@cache
def font_configuration() -> FontConfiguration:
    # Building the font configuration (fontconfig scan, font parsing) is the slow
    # part of a first render; reusing it makes warm renders several times faster.
    return FontConfiguration()


class StaticOnlyFetcher(URLFetcher):
    """Let the renderer read our own static files (CSS, fonts) and nothing else:
    no network, no other file on the server."""

    def fetch(self, url, headers=None):
        if not url.startswith(STATIC_DIR_URI) or ".." in url:
            raise ValueError(f"PDF rendering may not fetch {url}")
        return super().fetch(url, headers)


def printed_footer(printed_at, printed_by: str) -> str:
    """The footer's "printed ... by ..." (Buddhist-Era date and time)."""
    return _("Printed %(date)s by %(user)s") % {"date": thai.format_datetime(printed_at), "user": printed_by}


def sheet_html(sheet, printed_at=None, printed_by: str = "", request=None, page_numbers: bool = True) -> str:
    """The sheet as printed: the unit in the header, the indicator and year on the right,
    page numbers (unless a book stamps its own), and "printed ... by ..." when
    ``printed_at`` is given."""
    indicator = sheet.indicator
    unit = indicator.org_unit
    footer_left = printed_footer(printed_at, printed_by) if printed_at is not None else ""
    context = {
        "sheet": sheet,
        "printed_at": printed_at,
        "printed_by": printed_by,
        "header_left": f"{unit.code} {unit.name}",
        "header_right": _("Indicator %(code)s · Fiscal year %(year)s")
        % {"code": indicator.full_code, "year": indicator.fiscal_year.year},
        "footer_left": footer_left,
        "page_label": _("Page") if page_numbers else "",
        "of_label": _("of"),
    }
    return render_to_string(SHEET_TEMPLATE, context, request=request)


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of ``html`` (which may use our static files only) and its number of pages.
    Python's garbage collector waits while it renders (collector.py)."""
    with collection_paused():
        document = HTML(string=html, base_url=STATIC_DIR_URI, url_fetcher=StaticOnlyFetcher()).render(
            font_config=font_configuration()
        )
        result = document.write_pdf(), len(document.pages)
        # Dropped before the collector resumes: its first pass then frees the render's
        # cycles instead of walking the whole live document only to keep it one generation
        # older, to be walked again once it is garbage.
        del document
    return result
