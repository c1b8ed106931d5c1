"""Each line of Thai drawn inside a /Span with /ActualText (PDF 32000 §14.9.4).

Thai marks have no advance width, so text extractors that rebuild words from glyph
positions (poppler's pdftotext) see a mark and the next letter at the same x, take it
for duplicated text and reorder the pieces ("ดีที่สุด" comes out as "ดีท่ีสุด").
ActualText gives them the line's text as written; viewers use it for search and copy.
The font's own ToUnicode map (see tools/build_pdf_font.py) stays right for extractors
that ignore ActualText.

WeasyPrint has no hook for this: ``install`` wraps its ``draw_text``, which it does
only on the version it was tested with.
"""

import re

import pydyf
import weasyprint
import weasyprint.draw
from django.core.exceptions import ImproperlyConfigured

TESTED_WEASYPRINT = "70.0"
THAI = re.compile("[\u0e00-\u0e7f]")


def wrapping(draw_text):
    """``draw_text`` drawing a line of Thai inside a /Span with its /ActualText."""

    def draw_text_with_actual_text(stream, textbox, *args, **kwargs):
        if not THAI.search(textbox.text):
            return draw_text(stream, textbox, *args, **kwargs)
        stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(textbox.text)}))
        try:
            return draw_text(stream, textbox, *args, **kwargs)
        finally:
            stream.end_marked_content()

    draw_text_with_actual_text.wraps_for_actual_text = draw_text
    return draw_text_with_actual_text


def install() -> None:
    """Wrap WeasyPrint's ``draw_text`` (once: installing again changes nothing).
    ImproperlyConfigured on a WeasyPrint version other than the one tested."""
    if weasyprint.__version__ != TESTED_WEASYPRINT:
        raise ImproperlyConfigured(
            f"WeasyPrint {weasyprint.__version__} is installed, but the PDF text layer "
            f"(/ActualText, reports/printing/actual_text.py) was tested with {TESTED_WEASYPRINT} "
            "only: install that version (requirements.txt), or test this one and update "
            "TESTED_WEASYPRINT."
        )
    if not hasattr(weasyprint.draw.draw_text, "wraps_for_actual_text"):
        weasyprint.draw.draw_text = wrapping(weasyprint.draw.draw_text)
