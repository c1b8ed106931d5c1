"""HTML to PDF with WeasyPrint, sharing one font configuration per process."""

import re
from functools import cache

import pydyf
import weasyprint.draw
from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from reports import thai_breaks

STATIC_DIR_URI = (settings.BASE_DIR / "static").as_uri() + "/"
THAI = re.compile("[\u0e00-\u0e7f]")


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


_draw_text = weasyprint.draw.draw_text


def draw_text_with_actual_text(stream, textbox, *args, **kwargs):
    """Draw a line of Thai inside a /Span with /ActualText (PDF 32000 §14.9.4).

    Thai marks have no advance width, so text extractors that rebuild words from
    glyph positions (poppler's pdftotext) see a mark and the next letter at the
    same x, take it for duplicated text and reorder the pieces ("ดีที่สุด" comes
    out as "ดีท่ีสุด"). ActualText gives them the line's text as written; viewers
    use it for search and copy. The font's own ToUnicode map (see
    tools/build_pdf_font.py) stays right for extractors that ignore ActualText.
    """
    if not THAI.search(textbox.text):
        return _draw_text(stream, textbox, *args, **kwargs)
    stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(textbox.text)}))
    try:
        return _draw_text(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


weasyprint.draw.draw_text = draw_text_with_actual_text
# Thai lines break between words, as ICU (browsers) breaks them, not libthai.
thai_breaks.install()


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    html = render_to_string(template_name, context, request=request)
    document = HTML(string=html, base_url=STATIC_DIR_URI, url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(font_config=font_configuration())
