"""Lines of text drawn with Pango's glyphs read in bulk, not field by field.

WeasyPrint draws each line by walking its glyphs in Python and reading every field of
every glyph (its id, width, offsets) through cffi, one C access each: some 14% of a
sheet's print (32 ms of 232 on the seed sheet, measured on a 2-core Xeon). Here each
run's glyphs are read in one ``struct.iter_unpack`` over their C array, and the loop
keeps what it looks up in locals; what it writes is WeasyPrint's, operator for operator
and digit for digit (tests/reports/test_printing_glyph_runs.py compares whole PDFs).

Lines it does not draw go to WeasyPrint's own ``draw_first_line``: lines with an
ellipsis (``text-overflow``, ``block-ellipsis``), and lines in a colour, bitmap or
SVG font (emojis, which WeasyPrint draws as images beside the text). Our fonts are
none of these, so every line of a sheet is drawn here. WeasyPrint has no hook for
this: ``install()`` replaces ``draw_first_line`` in its drawing module, on the version
it was tested with (actual_text.py checks it).
"""

import re
import struct

import weasyprint.draw.text
from weasyprint.logger import LOGGER
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

# PangoGlyphInfo: glyph (guint32), geometry (width, x_offset, y_offset: gint32), and
# four bytes of visual attributes, unused here.
GLYPH_INFO = struct.Struct("=Iiii4x")
PANGO_GLYPH_EMPTY = pango.PANGO_GLYPH_EMPTY
PANGO_GLYPH_UNKNOWN_FLAG = pango.PANGO_GLYPH_UNKNOWN_FLAG
# Pango before 1.48.2 gives fonts the wrong size (https://gitlab.gnome.org/GNOME/pango/-/issues/530).
OLD_PANGO_FONTS = pango.pango_version() < 14802

# What Pango takes for the end of a paragraph (pango_find_paragraph_boundary).
PARAGRAPH_SEPARATORS = re.compile("[\n\r\u2029]")

_weasyprint_draw_first_line = weasyprint.draw.text.draw_first_line


def _runs(first_line) -> list:
    runs = []
    run = first_line.runs[0]
    while run != ffi.NULL:
        runs.append(run.data)
        run = run.next
    return runs


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """WeasyPrint's ``draw_first_line`` (draw/text.py), its glyph loop without cffi
    accesses per glyph. Same arguments, same operators, same return value."""
    if text_overflow == "ellipsis" or block_ellipsis != "none":
        return _weasyprint_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    if not textbox.text.strip():
        return []
    if textbox.style["font_size"] < 1e-6:  # default float precision used by pydyf
        return []

    layout = textbox.pango_layout
    if PARAGRAPH_SEPARATORS.search(layout.text):
        # Setting it lays the line out again (kept_layouts.py), for nothing when the
        # text is one paragraph anyway.
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    first_line, _index = layout.get_first_line()
    runs = _runs(first_line)
    fonts = [stream.add_font(glyph_item.item.analysis.font) for glyph_item in runs]
    if any(font.svg or font.png or font.colr for font, _size in fonts):
        # Emojis: WeasyPrint's own code draws them (fonts added twice are added once).
        return _weasyprint_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)

    stream.set_text_matrix(*matrix.values)
    previous_pango_font = None
    string = ""
    utf8_text = None
    for glyph_item, (font, font_size) in zip(runs, fonts, strict=True):
        glyph_string = glyph_item.glyphs
        num_glyphs = glyph_string.num_glyphs
        item = glyph_item.item
        pango_font = item.analysis.font
        if OLD_PANGO_FONTS:
            font_size = textbox.style["font_size"]
        if pango_font != previous_pango_font:
            previous_pango_font = pango_font
            if string:
                stream.show_text(string)
            string = ""
            stream.set_font_size(font.hash, 1 if font.bitmap else font_size)
        bitmap = font.bitmap
        to_unicode = font.to_unicode
        widths = font.widths
        clusters = None
        parts = [string, "<"]
        glyphs = GLYPH_INFO.iter_unpack(ffi.buffer(glyph_string.glyphs, num_glyphs * GLYPH_INFO.size))
        for i, (glyph_id, width, x_offset, y_offset) in enumerate(glyphs):
            # Display zero-width empty glyph.
            if glyph_id == PANGO_GLYPH_EMPTY:
                parts.append(f">{-width / font_size}<")
                continue

            # Display .notdef and log warning for missing glyphs.
            if glyph_id & PANGO_GLYPH_UNKNOWN_FLAG:
                codepoint = glyph_id - PANGO_GLYPH_UNKNOWN_FLAG
                LOGGER.warning(
                    '.notdef glyph rendered for Unicode string unsupported by fonts: "%s" (U+%04X)',
                    chr(codepoint),
                    codepoint,
                )
                glyph_id = font.get_unused_glyph_id(codepoint)
                widths[glyph_id] = round(width * 1000 * FROM_UNITS / font_size)
                if 0 not in widths:
                    widths[0] = widths[glyph_id]

            # Create mapping between glyphs and Unicode codepoints.
            if glyph_id not in to_unicode:
                if clusters is None:
                    clusters = glyph_string.log_clusters
                offset = item.offset
                t1 = clusters[i]
                if item.analysis.level % 2:  # rtl
                    t2 = item.length if i == 0 else clusters[i - 1]
                else:
                    t2 = item.length if i == num_glyphs - 1 else clusters[i + 1]
                utf8_text = utf8_text or layout.text.encode()
                to_unicode[glyph_id] = utf8_text[offset + t1 : offset + t2].decode()

            # Set horizontal and vertical offsets.
            offset = x_offset / font_size
            glyph_hex = f"{glyph_id:02x}" if bitmap else f"{glyph_id:04x}"
            if y_offset:
                rise = y_offset / 1000
                string = "".join(parts)
                if string[-1] == "<":
                    string = string[:-1]
                else:
                    string += ">"
                if string:
                    stream.show_text(string)
                stream.set_text_rise(-rise)
                stream.show_text(f"{-offset}<{glyph_hex}>" if offset else f"<{glyph_hex}>")
                stream.set_text_rise(0)
                parts = ["<"]
            else:
                if offset:
                    parts.append(f">{-offset}<")
                parts.append(glyph_hex)

            # Get glyph logical widths.
            logical_width = widths.get(glyph_id)
            if logical_width is None:
                pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                logical_width = widths[glyph_id] = round(
                    stream.logical_rect.width * 1000 * FROM_UNITS / font_size
                )

            # Set kerning, word spacing, letter spacing.
            kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
            if kerning:
                parts.append(f">{int(kerning)}<")

        # Close the last glyphs list, remove if empty.
        string = "".join(parts)
        if string[-1] == "<":
            string = string[:-1]
        else:
            string += ">"

    # Draw text.
    stream.show_text(string)
    return []


def install() -> None:
    """Lines drawn here, on the WeasyPrint version tested (actual_text.install checks
    it first). Idempotent."""
    weasyprint.draw.text.draw_first_line = draw_first_line
