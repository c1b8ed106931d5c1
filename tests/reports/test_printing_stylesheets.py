"""Our static stylesheets are parsed once per process and print as before
(reports/printing/stylesheets.py)."""

import pytest
import weasyprint.css
from django.utils.translation import override

from reports.printing import stylesheets
from reports.printing.render import STATIC_DIR_URI, html_to_pdf, sheet_html
from reports.sheet import build_sheet, sheet_queryset

pytestmark = pytest.mark.django_db


@pytest.fixture
def parsed(monkeypatch):
    """The URLs of the stylesheets WeasyPrint parses, as they are parsed."""
    urls, parse = [], stylesheets._CSS

    def parsing(*args, **kwargs):
        urls.append(kwargs.get("url"))
        return parse(*args, **kwargs)

    monkeypatch.setattr(stylesheets, "_CSS", parsing)
    monkeypatch.setattr(stylesheets, "_parsed", {})
    return urls


@pytest.fixture
def seed_html(seeded):
    with override("th"):
        return sheet_html(build_sheet(sheet_queryset().select_related("annual_summary").get(pk=seeded.pk)))


def test_the_sheet_stylesheet_is_parsed_once(parsed, seed_html):
    html_to_pdf(seed_html)
    html_to_pdf(seed_html)
    sheet_css, fonts_css = STATIC_DIR_URI + "css/sheet.css", STATIC_DIR_URI + "css/fonts.css"
    # Each document's own <style> is parsed each time (no URL); sheet.css and its
    # @import of fonts.css once.
    assert [url for url in parsed if url] == [sheet_css, fonts_css]
    assert parsed.count(None) == 2


def test_a_shared_stylesheet_prints_the_same_pdf(seed_html, monkeypatch):
    shared = html_to_pdf(seed_html)
    monkeypatch.setattr(weasyprint.css, "CSS", stylesheets._CSS)  # parsed with each document
    assert html_to_pdf(seed_html) == shared
