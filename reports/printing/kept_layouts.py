"""Each line's Pango layout kept from layout to drawing, not made again.

WeasyPrint lays a line out with Pango, measures it, and then frees its Pango layout
(``Layout.deactivate``) to keep memory low on long documents; to draw the line, it makes
a new Pango context and layout and lays the same text out again (``reactivate``): some
165 layouts a print for the seed sheet, about 8% of it (12.6 ms in Pango alone, out of
232, measured on a 2-core Xeon). A sheet is a few pages, and its layouts are freed with
the document when its PDF is written: here ``deactivate`` keeps the layout, and
``reactivate`` draws with the kept one when nothing it would set differs: the same style
object and no extra space for justified text (WeasyPrint adds that only when drawing).
Otherwise, WeasyPrint's own ``reactivate`` makes the layout again. Once drawn, the
layout is freed, as WeasyPrint frees it.

A kept layout may still have the width it was broken at; the text it holds fits on one
line at that width (WeasyPrint sets an unlimited width before it keeps a line cut from
a longer text), and Pango places the glyphs of a left-aligned, unjustified line the
same at any width: the PDFs are the same, byte for byte
(tests/reports/test_printing_glyph_runs.py). ``install()`` replaces the two methods of
WeasyPrint's ``Layout``.
"""

from weasyprint.text import line_break

_deactivate = line_break.Layout.deactivate
_reactivate = line_break.Layout.reactivate


def deactivate(self) -> None:
    """Keep the Pango layout (WeasyPrint deletes it) for drawing; once drawn, delete it."""
    if getattr(self, "drawing", False):
        self.drawing = False
        _deactivate(self)
    else:
        self.kept = True


def reactivate(self, style) -> None:
    """Draw with the kept layout when it is what WeasyPrint would make again."""
    self.drawing = True
    if getattr(self, "kept", False):
        self.kept = False
        if style is self.style and not self.justification_spacing:
            return
    _reactivate(self, style)


def install() -> None:
    """Layouts kept from layout to drawing. Idempotent."""
    line_break.Layout.deactivate = deactivate
    line_break.Layout.reactivate = reactivate
