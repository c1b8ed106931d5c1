"""SVG text in PDFs drawn as one shaped run (reports/printing/svg_text.py): a chart's Thai
label keeps its tone marks, labels stay where their anchors put them, and a text whose
letters have positions of their own is still WeasyPrint's."""

import io
import re

import pikepdf
import pytest
import weasyprint.svg

from reports.printing import svg_text
from reports.printing.fingerprint import assets_version
from reports.printing.quick_footer import _shape
from reports.printing.render import html_to_pdf
from tests.reports.test_printing import word_boxes

FONT = 'font-family="Sarabun KPI, sans-serif"'


def svg_pdf(body: str, width: int = 400, height: int = 120) -> bytes:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {FONT} viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">{body}</svg>'
    )
    html = (
        '<!doctype html><html lang="th"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="css/sheet.css"></head><body class="pdf">'
        f"{svg}</body></html>"
    )
    pdf, _pages = html_to_pdf(html)
    return pdf


def glyphs_drawn(pdf: bytes) -> list[int]:
    """The glyph ids of every TJ/Tj of the first page's drawings, forms included, in order."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        streams = [page.Contents.read_bytes()]
        streams += [
            form.read_bytes()
            for form in page.Resources.get("/XObject", {}).values()
            if form.Subtype == "/Form"
        ]
    ids = []
    for content in streams:
        for shown in re.findall(rb"\[(.*?)\]\s*TJ|<([0-9a-f]+)>\s*Tj", content, re.S):
            for hexes in re.findall(rb"<([0-9a-f]*)>", shown[0] or b"<" + shown[1] + b">"):
                ids += [int(hexes[i : i + 4], 16) for i in range(0, len(hexes), 4)]
    return ids


def test_a_thai_label_is_drawn_with_the_glyphs_the_shaper_gives_it():
    """ไตรมาสที่ drawn letter by letter lost its tone mark (ที, not ที่)."""
    label = "ไตรมาสที่ 1"
    pdf = svg_pdf(f'<text x="200" y="60" text-anchor="middle" font-size="11">{label}</text>')
    expected = [glyph for glyph, *_ in _shape(label) if glyph != 3]  # 3: the space, not drawn
    assert [glyph for glyph in glyphs_drawn(pdf) if glyph != 3] == expected


@pytest.mark.parametrize("label", ["100", "2,500.75", "ไตรมาสที่ 4", "Q4"])
def test_labels_are_where_their_anchors_put_them(label):
    """The chart's ticks end 6 units left of the plot, its quarter labels are centred under
    the bars: a label anchored at its end ends where one anchored at its start begins, and
    one anchored in the middle is centred there."""
    pdf = svg_pdf(
        f'<text x="200" y="30" text-anchor="end" font-size="10">{label}</text>'
        f'<text x="200" y="60" font-size="10">{label}</text>'
        f'<text x="200" y="90" text-anchor="middle" font-size="10">{label}</text>'
    )
    lines: dict[float, list[tuple[float, float]]] = {}
    for _word, (x_min, y_min, x_max, _y_max) in word_boxes(pdf):
        lines.setdefault(y_min, []).append((x_min, x_max))
    (end, start, middle) = [
        (min(a for a, _ in line), max(b for _, b in line)) for _y, line in sorted(lines.items())
    ]
    assert end[1] == pytest.approx(start[0], abs=0.3)
    assert (middle[0] + middle[1]) / 2 == pytest.approx(start[0], abs=0.3)
    assert end[1] - end[0] == pytest.approx(start[1] - start[0], abs=0.2)


def test_a_text_with_letters_placed_one_by_one_is_left_to_weasyprint(monkeypatch):
    body = '<text x="10 40 70" y="50" font-size="12">123</text><text x="10" y="90" rotate="30">45</text>'
    ours = svg_pdf(body)
    for tag in ("text", "tspan", "textPath"):
        monkeypatch.setitem(weasyprint.svg.TAGS, tag, svg_text._letter_by_letter)
    monkeypatch.setattr(weasyprint.svg, "text", svg_text._letter_by_letter)
    assert word_boxes(ours) == word_boxes(svg_pdf(body))
    assert glyphs_drawn(ours) == glyphs_drawn(svg_pdf(body))


def test_books_do_not_reuse_sheets_drawn_before_such_a_change(monkeypatch, tmp_path):
    """A book reuses a sheet's PDF while its fingerprint holds: it covers this module's code."""
    changed = tmp_path / "svg_text.py"
    changed.write_text("# another day's way of drawing SVG text\n")
    assets_version.cache_clear()
    before = assets_version()
    monkeypatch.setattr(svg_text, "__file__", str(changed))
    assets_version.cache_clear()
    try:
        assert assets_version() != before
    finally:
        assets_version.cache_clear()
