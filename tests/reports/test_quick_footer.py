"""The footer drawn without WeasyPrint (reports/printing/quick_footer.py) is WeasyPrint's:
every word in the same box, the same text for pdftotext and for pypdf."""

import io
import subprocess

import pikepdf
import pytest
from django.template.loader import render_to_string
from django.utils.translation import override
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from reports.books.stamping import STAMP_TEMPLATE, BookStamps, page_label
from reports.printing.footer import footer_pdf, reference_footer, weasyprint_footer
from reports.printing.quick_footer import quick_footer
from reports.printing.render import html_to_pdf
from tests.reports.test_printing import word_boxes


def text(pdf: bytes) -> str:
    return (
        subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        .stdout.decode()
        .strip()
    )


def pypdf_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def operators(pdf: bytes) -> list[bytes]:
    """The page's drawing operators and operands, whitespace aside."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return document.pages[0].Contents.read_bytes().split()


def assert_like_weasyprint(footer: str) -> None:
    quick = quick_footer(footer, reference_footer())
    assert quick is not None
    full = weasyprint_footer(footer)
    assert operators(quick) == operators(full)  # every glyph, offset and kerning, to the last digit
    assert word_boxes(quick) == word_boxes(full)
    assert text(quick) == text(full) == footer
    assert pypdf_text(quick) == pypdf_text(full)


@pytest.mark.parametrize(
    "footer",
    [
        "พิมพ์เมื่อ 2 มีนาคม 2569 16:15 โดย สมชาย ใจดี",
        # Sara am (decomposed by the shaper), tone marks above upper vowels, tall consonants
        "พิมพ์เมื่อ 13 พฤศจิกายน 2570 09:05 โดย ฤๅษี น้ำใจงาม ญี่ปุ่นกำลังดี",
        "พิมพ์เมื่อ 29 กุมภาพันธ์ 2571 23:59 โดย ปิ่นปั่นปั๊ปฟ้าฝั่ง ศิริ",
        "พิมพ์เมื่อ 1 ตุลาคม 2569 08:00 โดย ฐิติพงศ์ ธีระกุลวัฒน์ (ผู้ดูแลระบบ)",
        # English, with kerning pairs and punctuation
        "Printed 2 March 2026 16:15 by Wanda AVAToffee Kerning",
        "Printed 1 January 2027 00:00 by Mr. O’Neil-Smith (admin)",
        "พิมพ์เมื่อ 5 ธันวาคม 2569 10:30 โดย John Smith",
    ],
)
def test_the_quick_footer_is_weasyprints(footer):
    assert_like_weasyprint(footer)


THAI_NAME = st.text(
    alphabet=st.sampled_from("กขคงจฉชซญฎฐณดตถทธนบปผฝพฟภมยรลวศษสหอฮะาำิีึืุูเแโใไ่้๊๋็์ั"), min_size=1, max_size=12
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=THAI_NAME, last=THAI_NAME)
# A tone mark over ฉ: its offset was 1/1024 pt off when shaped in font units and scaled after.
@example(first="ขณพสา", last="ขณณนสฉ่ธพภา")
# The last glyph raised (a mark after a space): WeasyPrint still ends with an empty TJ.
@example(first="สีย๊ภูผใ", last="ิี")
def test_any_thai_name_is_drawn_as_weasyprint_draws_it_or_left_to_it(first, last):
    footer = f"พิมพ์เมื่อ 2 มีนาคม 2569 16:15 โดย {first} {last}"
    quick = quick_footer(footer, reference_footer())
    if quick is None:
        # Left to WeasyPrint (a mark without its letter asks for a dotted circle the font lacks).
        assert footer_pdf(footer) == weasyprint_footer(footer)
        return
    full = weasyprint_footer(footer)
    assert operators(quick) == operators(full)
    assert word_boxes(quick) == word_boxes(full)
    assert text(quick) == text(full)
    assert pypdf_text(quick) == pypdf_text(full)


def test_a_footer_too_long_for_one_line_is_left_to_weasyprint():
    footer = "พิมพ์เมื่อ 2 มีนาคม 2569 16:15 โดย " + "ชื่อยาวมาก " * 12
    assert quick_footer(footer, reference_footer()) is None
    pdf = footer_pdf(footer)
    lines = {y for _word, (_x, y, _x2, _y2) in word_boxes(pdf)}
    assert len(lines) == 2  # WeasyPrint wraps it


def test_a_character_the_font_lacks_is_left_to_weasyprint():
    assert quick_footer("พิมพ์เมื่อ 2 มีนาคม 2569 16:15 โดย 李小龍", reference_footer()) is None


def stamped(stamps, numbers) -> bytes:
    pdf = pikepdf.new()
    for number in numbers:
        pdf.add_blank_page(page_size=(595.275591, 841.889764))
        pdf.pages[-1].add_overlay(stamps.form(pdf, number))
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()


@pytest.mark.parametrize("quick", [True, False], ids=["harfbuzz", "weasyprint"])
@pytest.mark.parametrize("language", ["th", "en"])
def test_a_books_page_numbers_are_where_weasyprint_puts_them(language, quick):
    """Each stamped number against WeasyPrint's own render of that page's footer: drawn
    from HarfBuzz's shaping, or, when that is refused (a character the font lacks), laid
    out by WeasyPrint as lines, many to a page (in English, all in one text object)."""
    footer = "พิมพ์เมื่อ 2 มีนาคม 2569 16:15 โดย สมชาย ใจดี"
    numbers = [2, 9, 10, 99, 100, 777, 1233, 1234]
    with override(language):
        stamps = BookStamps(footer, 2, 1234, quick=quick)
        assert (stamps.number_run is not None) is quick
        book = stamped(stamps, numbers)
        for page, number in enumerate(numbers, start=1):
            html = render_to_string(
                STAMP_TEMPLATE, {"footer_left": footer, "first_label": page_label(number, 1234), "labels": []}
            )
            expected = word_boxes(html_to_pdf(html)[0], 1)
            assert word_boxes(book, page) == expected
        texts = [page.extract_text() for page in PdfReader(io.BytesIO(book)).pages]
    label = "หน้า 777 จาก 1234" if language == "th" else "Page 777 of 1234"
    assert label in texts[5] and footer in texts[5]
