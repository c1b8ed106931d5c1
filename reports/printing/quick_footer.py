"""A print's footer ("พิมพ์เมื่อ … โดย …") drawn in about a millisecond instead of a
WeasyPrint render (some 10 ms, more than the rest of a repeat print).

The footer is one line of text in one font at one place, so it does not need a layout
engine: WeasyPrint renders a reference footer once per process, and each new footer is
that page with its line of text replaced:

- the text is shaped by HarfBuzz (uharfbuzz), the shaper Pango itself uses under
  WeasyPrint, with the same font file, split into runs by script as Pango does, so the
  glyphs and their positions are WeasyPrint's;
- the glyphs are written as WeasyPrint writes them (draw/text.py: a TJ array with the
  same adjustments for offsets and advances), in the reference's place, size and colour;
- the font is subset to those glyphs (HarfBuzz's subsetter, glyph ids kept, as WeasyPrint
  does), with their widths and a ToUnicode map; the line keeps its /ActualText.

Text too wide for one line, or a character the font lacks, goes to WeasyPrint
(``None`` here): the footer then wraps or falls back as a full render would.
Tests compare every word's box and the extracted text with WeasyPrint's.
"""

import hashlib
import io
import re
import string
import unicodedata
from functools import cache

import pikepdf
import uharfbuzz as hb
from django.conf import settings

FONT_FILE = "fonts/SarabunKPI-Regular.ttf"
# The reference footer: any text in the font; its line is replaced.
REFERENCE = "พิมพ์เมื่อ 1 มกราคม 2569 00:00 โดย ผู้ใช้"
# Wider than this (in ems of the footer's font) goes to WeasyPrint, which wraps it: the
# bottom-left margin box is 70% of the 177 mm between the page's margins (about 41 ems at
# 8.5 pt); the limit leaves a margin for rounding.
MAX_EMS = 38
TEXT_OBJECT = re.compile(rb"/Span\s*<<\s*/ActualText\s*<[0-9a-fA-F]*>\s*>>\s*BDC(.*?)EMC", re.S)
SHOW = re.compile(r"\[[^\]]*\]\s*TJ")
THAI = re.compile("[\u0e00-\u0e7f]")
FROM_UNITS = 1 / 1024  # a Pango unit, as WeasyPrint multiplies by it


@cache
def _font() -> tuple[hb.Face, hb.Font, bytes]:
    data = (settings.BASE_DIR / "static" / FONT_FILE).read_bytes()
    face = hb.Face(data)
    return face, hb.Font(face), data


def _script(character: str) -> str | None:
    """Thai, Latin, or None for characters every script shares (spaces, digits, marks)."""
    if "\u0e00" <= character <= "\u0e7f":
        return "Thai"
    if unicodedata.category(character).startswith("L"):
        return "Latn"
    return None


def _runs(text: str) -> list[tuple[int, str, str]]:
    """(start, text, script) runs: shared characters join the run before them (the first
    ones the run after), as Pango itemizes."""
    scripts = [_script(character) for character in text]
    current = next((script for script in scripts if script), "Latn")
    runs: list[tuple[int, str, str]] = []
    for index, (character, script) in enumerate(zip(text, scripts, strict=True)):
        script = script or current
        if runs and runs[-1][2] == script:
            start, run_text, _ = runs[-1]
            runs[-1] = (start, run_text + character, script)
        else:
            runs.append((index, character, script))
        current = script
    return runs


def _shape(text: str, scale: int | None = None):
    """[(glyph id, x advance, x offset, y offset, its text)] in font units, or at
    ``scale`` units per em: Pango shapes at the font size in 1/1024ths, and HarfBuzz
    rounds each scaled position (a mark's anchors, say) on its own, so only shaping at
    that scale gives Pango's numbers; scaling font units afterwards can be off by one."""
    face, font, _data = _font()
    if scale is not None:
        font = hb.Font(face)
        font.scale = (scale, scale)
    glyphs = []
    for _start, run_text, script in _runs(text):
        buffer = hb.Buffer()
        # Code points, not UTF-8: clusters are then indices into the text.
        buffer.add_codepoints([ord(character) for character in run_text])
        buffer.script, buffer.language, buffer.direction = script, "th", "ltr"
        # As Pango shapes: a cluster per character, so that a mark maps to its own letter.
        buffer.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
        hb.shape(font, buffer)
        infos, positions = buffer.glyph_infos, buffer.glyph_positions
        for index, (info, position) in enumerate(zip(infos, positions, strict=True)):
            end = infos[index + 1].cluster if index + 1 < len(infos) else len(run_text)
            piece = run_text[info.cluster : end] if end > info.cluster else ""
            glyphs.append((info.codepoint, position.x_advance, position.x_offset, position.y_offset, piece))
    return glyphs


def pango_scale(font_size: float) -> int:
    """The scale at which Pango shapes a font of ``font_size``: its size in 1/1024ths."""
    return round(font_size * 1024)


def _show_text(glyphs, widths: dict[int, int], font_size: float) -> str:
    """The TJ and Ts operators WeasyPrint writes for these glyphs (draw_first_line), with
    its numbers, from ``glyphs`` shaped at Pango's scale (whole 1/1024ths of
    ``font_size``, the Tf of the reference): each glyph's x offset moves it, a y offset
    raises it (Ts), and the difference between the font's advance and the shaped one
    follows it. WeasyPrint divides by the size Pango gives, not the rounded Tf."""
    font_size = pango_scale(font_size) / 1024
    shown, parts = [], "<"
    for glyph, advance, x_offset, y_offset, _piece in glyphs:
        offset = x_offset / font_size
        if y_offset:
            parts = parts[:-1] if parts.endswith("<") else parts + ">"
            if parts:
                shown.append(f"[{parts}] TJ")
            shown.append(f"{y_offset / 1000} Ts")
            shown.append(f"[{-offset if offset else ''}<{glyph:04x}>] TJ")
            shown.append("0 Ts")
            parts = "<"
        else:
            if offset:
                parts += f">{-offset}<"
            parts += f"{glyph:04x}"
        kerning = widths[glyph] + offset - advance * 1000 * FROM_UNITS / font_size
        if kerning:
            parts += f">{int(kerning)}<"
    parts = parts[:-1] if parts.endswith("<") else parts + ">"
    shown.append(f"[{parts}] TJ")  # even "[] TJ" after a raised last glyph, as WeasyPrint
    return "\n".join(shown)


def _to_unicode(mapping: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <ffff>",
        "endcodespacerange",
        f"{len(mapping)} beginbfchar",
    ]
    for glyph, text in sorted(mapping.items()):
        lines.append(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>")
    lines += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()


class Line:
    """A line of text shaped as WeasyPrint would draw it in the footer's font: its glyphs,
    their widths and text (for the font's W and ToUnicode), and its width."""

    def __init__(self, text: str):
        face, font, _data = _font()
        self.text, self.upem = text, face.upem
        self.glyphs = _shape(text)
        self._shaped: dict[int, list] = {}
        self.widths = {
            glyph: round(font.get_glyph_h_advance(glyph) * 1000 / self.upem) for glyph, *_ in self.glyphs
        }
        self.mapping: dict[int, str] = {}
        for glyph, _advance, _x, _y, piece in self.glyphs:
            self.mapping.setdefault(glyph, piece)  # "" too, as WeasyPrint: a glyph that adds no text

    @property
    def drawable(self) -> bool:
        """Whether the font has every character (else WeasyPrint falls back to another font)."""
        return (
            bool(self.text.strip())
            and all(glyph != 0 for glyph, *_ in self.glyphs)
            and not any(unicodedata.category(character) == "Cc" for character in self.text)
        )

    def ems(self) -> float:
        return sum(advance for _glyph, advance, *_ in self.glyphs) / self.upem

    def shaped(self, font_size: float):
        """The glyphs as Pango shapes them at ``font_size``: positions in 1/1024ths."""
        scale = pango_scale(font_size)
        if scale not in self._shaped:
            self._shaped[scale] = _shape(self.text, scale)
        return self._shaped[scale]

    def width(self, font_size: float) -> float:
        """The width WeasyPrint lays out, in the units of ``font_size``."""
        return sum(advance for _glyph, advance, *_ in self.shaped(font_size)) / 1024

    def show_text(self, font_size: float) -> str:
        return _show_text(self.shaped(font_size), self.widths, font_size)

    def marked(self, operators: str) -> str:
        """``operators`` inside a /Span with the line's /ActualText when it is Thai, as
        actual_text.py wraps WeasyPrint's lines."""
        if THAI.search(self.text):
            return f"/Span <</ActualText <feff{self.text.encode('utf-16-be').hex()}>>> BDC {operators} EMC"
        return operators


def use_font(document: pikepdf.Pdf, type0: pikepdf.Dictionary, lines) -> None:
    """Make ``type0`` (a WeasyPrint subset of the footer's font) a subset with the glyphs of
    ``lines``, their widths and their text: HarfBuzz's subsetter, glyph ids kept, as
    WeasyPrint does."""
    face, _font_object, _data = _font()
    widths: dict[int, int] = {}
    mapping: dict[int, str] = {}
    for line in lines:
        widths.update(line.widths)
        for glyph, text in line.mapping.items():
            mapping.setdefault(glyph, text)
    subset_input = hb.SubsetInput()
    subset_input.glyph_set.update(sorted({0, *widths}))
    subset_input.flags = hb.SubsetFlags.RETAIN_GIDS
    subset = hb.subset(face, subset_input).blob.data
    tag = "".join(string.ascii_uppercase[b % 26] for b in hashlib.sha256(subset).digest()[:6])
    base_font = pikepdf.Name(f"/{tag}+Sarabun-KPI")
    cid_font = type0.DescendantFonts[0]
    descriptor = cid_font.FontDescriptor
    descriptor.FontFile2 = pikepdf.Stream(document, subset)
    descriptor.FontFile2.Length1 = len(subset)
    descriptor.FontName = type0.BaseFont = cid_font.BaseFont = base_font
    cid_font.W = pikepdf.Array(
        [item for glyph in sorted(widths) for item in (glyph, pikepdf.Array([widths[glyph]]))]
    )
    type0.ToUnicode = pikepdf.Stream(document, _to_unicode(mapping))


def quick_footer(text: str, reference: bytes) -> bytes | None:
    """The one-page footer PDF of ``text``, as WeasyPrint renders it, made from
    ``reference``, WeasyPrint's footer PDF of ``REFERENCE``; None when only WeasyPrint can
    (too wide for one line, a character the font lacks, no text)."""
    line = Line(text)
    if not line.drawable or line.ems() > MAX_EMS:
        return None  # a character the font lacks, or too wide for one line
    with pikepdf.open(io.BytesIO(reference)) as document:
        page = document.pages[0]
        (type0,) = page.Resources.Font.values()
        content = page.Contents.read_bytes()
        found = TEXT_OBJECT.search(content)
        if found is None or len(SHOW.findall(found.group(1).decode("latin-1"))) != 1:
            return None  # not the reference drawn as expected: let WeasyPrint draw it
        drawn = found.group(1).decode("latin-1")
        font_size = float(re.search(r"/\S+\s+([\d.]+)\s+Tf", drawn).group(1))
        shown = line.show_text(font_size)
        operators = line.marked(SHOW.sub(lambda _match: shown, drawn, count=1))
        page.Contents.write(content[: found.start()] + operators.encode("latin-1") + content[found.end() :])
        use_font(document, type0, [line])
        output = io.BytesIO()
        document.save(output, compress_streams=True)
    return output.getvalue()
