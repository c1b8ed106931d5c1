"""Lines drawn with their glyphs read in bulk (reports/printing/glyph_runs.py) and with the
Pango layout kept from layout to drawing (reports/printing/kept_layouts.py): the PDFs are
WeasyPrint's own, byte for byte, and drawing lays no line out again."""

import datetime
from contextlib import contextmanager

import pytest
import weasyprint.draw.text
from django.utils.translation import override
from weasyprint import HTML
from weasyprint.text import line_break

from indicators.models import Indicator
from reports.demo.generate import generate
from reports.printing import glyph_runs, kept_layouts
from reports.printing.install import install
from reports.printing.render import (
    STATIC_DIR_URI,
    StaticOnlyFetcher,
    font_configuration,
    html_to_pdf,
    sheet_html,
)
from reports.sheet import build_sheet


@contextmanager
def weasyprints_own_drawing():
    """WeasyPrint's draw_first_line and Layout methods, as installed before ours."""
    install()
    ours = (weasyprint.draw.text.draw_first_line, line_break.Layout.deactivate, line_break.Layout.reactivate)
    weasyprint.draw.text.draw_first_line = glyph_runs._weasyprint_draw_first_line
    line_break.Layout.deactivate = kept_layouts._deactivate
    line_break.Layout.reactivate = kept_layouts._reactivate
    try:
        yield
    finally:
        (weasyprint.draw.text.draw_first_line, line_break.Layout.deactivate, line_break.Layout.reactivate) = (
            ours
        )


def both_pdfs(html: str) -> tuple[bytes, bytes]:
    with weasyprints_own_drawing():
        weasyprints, _pages = html_to_pdf(html)
    ours, _pages = html_to_pdf(html)
    return weasyprints, ours


def page(body: str, style: str = "") -> str:
    return (
        '<!doctype html><html lang="th"><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="css/sheet.css"><style>{style}</style></head>'
        f'<body class="pdf">{body}</body></html>'
    )


THAI_PARAGRAPH = (
    "ผู้รับจ้างดำเนินการปรับปรุงภูมิทัศน์บริเวณวัดประดิษฐารามและชุมชนโดยรอบ "
    "ประสานมิตรกับสหวิทยาการเพื่อให้ได้ผลสัมฤทธิ์ตามเป้าหมายที่กำหนดไว้ในปีงบประมาณ พ.ศ. 2568 "
    "ทั้งนี้ได้รายงานผลต่อผู้บริหารโดยตรงทุกไตรมาส"
)


def test_the_installed_drawing_is_ours():
    install()
    assert weasyprint.draw.text.draw_first_line is glyph_runs.draw_first_line
    assert line_break.Layout.reactivate is kept_layouts.reactivate
    install()  # again: nothing wrapped twice
    assert glyph_runs._weasyprint_draw_first_line.__module__ == "weasyprint.draw.text"
    assert kept_layouts._reactivate.__module__ == "weasyprint.text.line_break"


@pytest.mark.django_db
def test_the_seed_sheet_is_weasyprints_byte_for_byte(seeded):
    with override("th"):
        html = sheet_html(build_sheet(seeded))
    weasyprints, ours = both_pdfs(html)
    assert ours == weasyprints


@pytest.mark.django_db
def test_generated_sheets_are_weasyprints_byte_for_byte():
    generate(2, 6, 2, today=datetime.date(2026, 10, 1))
    indicators = list(Indicator.objects.filter(fiscal_year__year=2569).order_by("org_unit__code", "code"))
    assert len(indicators) == 12
    for indicator in indicators:
        with override("th"):
            html = sheet_html(build_sheet(indicator))
        weasyprints, ours = both_pdfs(html)
        assert ours == weasyprints, indicator.full_code


CASES = {
    "justified": (f'<p style="text-align: justify">{THAI_PARAGRAPH} {THAI_PARAGRAPH}</p>', ""),
    "justified Latin": ("<p style='text-align: justify'>" + "a few words of English text " * 12 + "</p>", ""),
    "ellipsis": (
        '<p style="white-space: nowrap; overflow: hidden; text-overflow: ellipsis; width: 8cm">'
        f"{THAI_PARAGRAPH}</p>",
        "",
    ),
    "line clamp": (
        f'<p style="max-height: 3em; block-ellipsis: auto; overflow: hidden">{THAI_PARAGRAPH * 3}</p>',
        "",
    ),
    "preformatted": (f'<p style="white-space: pre-wrap">บรรทัดแรก\nบรรทัดที่สอง\r\n{THAI_PARAGRAPH}</p>', ""),
    "letter and word spacing": (
        f"<p>{THAI_PARAGRAPH} plain words too</p>",
        "p { letter-spacing: 1px; word-spacing: 3px }",
    ),
    "underlined, struck": (
        f"<p><u>{THAI_PARAGRAPH}</u> <s>ขีดฆ่า</s> <span style='text-decoration: overline'>x</span></p>",
        "",
    ),
    "missing glyphs": ("<p>ไม่มีในฟอนต์ \ue000\U0001f600 ท้าย</p>", ""),
    "two fonts in a line": (
        f"<p>ภาษาไทย <span style=\"font-family: 'DejaVu Sans Mono'\">mono 123</span> {THAI_PARAGRAPH}</p>",
        "",
    ),
    "tone marks raised": ("<p>ปู่ ผู้ ป้า ปิ่น ฟ้า ฝั่ง ปั้น ญี่ปุ่น ฐิติ ฎีกา</p>", ""),
    "right to left": ("<p dir='rtl'>abc שלום עולם def</p>", ""),
    "tabs and a table": (
        "<table><tr><td>ไตรมาสที่ 1</td><td class='num'>1,234.50</td></tr></table>"
        "<p style='white-space: pre'>a\tb\tค</p>",
        "",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_other_text_is_weasyprints_byte_for_byte(case):
    body, style = CASES[case]
    weasyprints, ours = both_pdfs(page(body, style))
    assert ours == weasyprints


def setups_while_drawing(html: str, monkeypatch) -> int:
    """Pango layouts made while the rendered document is written (drawn) to PDF."""
    document = HTML(string=html, base_url=STATIC_DIR_URI, url_fetcher=StaticOnlyFetcher()).render(
        font_config=font_configuration()
    )
    setups = []
    setup = line_break.Layout.setup

    def counting(self, style):
        setups.append(style)
        return setup(self, style)

    with monkeypatch.context() as patch:
        patch.setattr(line_break.Layout, "setup", counting)
        document.write_pdf()
    return len(setups)


@pytest.mark.django_db
def test_drawing_lays_no_line_out_again(seeded, monkeypatch):
    """WeasyPrint made a new Pango layout for each line it drew; the kept one is drawn. The
    chart's labels are laid out while drawing (SVG is laid out when drawn): one layout each."""
    install()
    with override("th"):
        html = sheet_html(build_sheet(seeded))
    labels = html.count("<text ")
    assert labels >= 8
    with weasyprints_own_drawing():
        weasyprints = setups_while_drawing(html, monkeypatch)
    ours = setups_while_drawing(html, monkeypatch)
    assert ours == labels
    assert weasyprints - ours > 100
