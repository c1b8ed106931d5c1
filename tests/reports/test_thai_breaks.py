"""Thai in PDFs breaks between words only, judged against ICU's word boundaries
(what browsers use), and list numbers stay with their items; the text layer
stays exactly the text as written.

Lines are read from WeasyPrint's layout boxes, before drawing: each line's text
is found again in its paragraph's source text, so we know where each break
fell and whether a space was there.
"""

import datetime
import io
import re
import shutil
import subprocess

import icu
import pikepdf
import pytest
from django.urls import reverse
from django.utils.translation import override
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.formatting_structure import boxes
from weasyprint.svg.text import Style
from weasyprint.text import line_break
from weasyprint.text.ffi import pango

from indicators.models import Indicator
from reports.demo.generate import generate
from reports.printing import thai_breaks
from reports.printing.fingerprint import assets_version
from reports.printing.render import STATIC_DIR_URI, StaticOnlyFetcher, font_configuration
from reports.printing.render import sheet_html as printed_sheet_html
from reports.sheet import build_sheet

pytestmark = pytest.mark.django_db

THAI = re.compile("[\u0e00-\u0e7f]")
# A line that ends with a list number ("… 2560 4." or "… และ 2)").
ENDS_WITH_LIST_NUMBER = re.compile(r"(?:^|\s)\d{1,3}[.)]$")
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")


def icu_word_boundaries(text: str) -> set[int]:
    """ICU's Thai word boundaries of ``text``, in code points (ICU counts UTF-16 units)."""
    iterator = icu.BreakIterator.createWordInstance(icu.Locale("th"))
    iterator.setText(text)
    index_of_unit = []
    for index, char in enumerate(text):
        index_of_unit += [index] * (2 if ord(char) > 0xFFFF else 1)
    index_of_unit.append(len(text))
    return {0, *(index_of_unit[unit] for unit in iterator)}


def collapse(text: str) -> str:
    return re.sub(r"[ \t\r\n\f]+", " ", text)


def render(html: str):
    return HTML(string=html, base_url=STATIC_DIR_URI, url_fetcher=StaticOnlyFetcher()).render(
        font_config=font_configuration()
    )


def paragraphs(document):
    """Each block's source text and its lines in order (across pages), with the
    blocks' overflowing lines."""
    blocks, overflows = {}, []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if not isinstance(box, boxes.ParentBox):
                continue
            stack.extend(reversed(box.children))
            if not isinstance(box, boxes.BlockContainerBox) or box.element is None:
                continue
            right = box.content_box_x() + box.width
            for line in box.children:
                if not isinstance(line, boxes.LineBox):
                    continue
                texts = [child for child in line.descendants() if isinstance(child, boxes.TextBox)]
                text = collapse("".join(child.text for child in texts)).strip(" ")
                if not text:
                    continue
                blocks.setdefault(id(box.element), (box.element, []))[1].append(text)
                if max(child.position_x + child.width for child in texts) > right + 0.5:
                    overflows.append(text)
    return list(blocks.values()), overflows


def line_breaks(document):
    """(checked, mid_word, list_numbers_at_line_end, overflows) of a rendered document.

    ``checked`` counts breaks inside unspaced runs of Thai (no space at the
    break, Thai on one side); ``mid_word`` lists those not at an ICU word boundary.
    """
    blocks, overflows = paragraphs(document)
    checked, mid_word, list_numbers = 0, [], []
    for element, lines in blocks:
        source = collapse("".join(element.itertext()))
        position, ends = 0, []
        for line in lines:
            found = source.find(line, position)
            assert found >= 0, (line, source[position : position + 100])
            position = found + len(line)
            ends.append((position, line))
        boundaries = None
        for end, line in ends[:-1]:
            if ENDS_WITH_LIST_NUMBER.search(line):
                list_numbers.append(f"{line[-30:]} | {source[end : end + 20].strip()}")
            if source[end] == " " or not (THAI.match(source[end - 1]) or THAI.match(source[end])):
                continue
            checked += 1
            boundaries = boundaries or icu_word_boundaries(source)
            if end not in boundaries:
                mid_word.append(f"{source[max(0, end - 15) : end]}|{source[end : end + 15]}")
    return checked, mid_word, list_numbers, overflows


def sheet_html(indicator) -> str:
    with override("th"):
        return printed_sheet_html(build_sheet(indicator))


# The library: ICU's stretches, list numbers joined to their items.


def inside_a_span(text: str, position: int) -> bool:
    return any(start < position < end for start, end in thai_breaks.unbreakable_spans(text))


@pytest.mark.parametrize(
    "text, word",
    [
        ("ประธานชุมชนวัดประดิษฐารามยื่นคำร้อง", "วัดประ|ดิษฐาราม"),
        ("2.ชุมชนประสานมิตร 3.ชุมชนศรีภูมิ", "ประสาน|มิตร"),
        ("โครงการสหวิทยาการระดับบัณฑิตศึกษา", "ส|หวิทยาการ"),
        ("ผู้มีส่วนเกี่ยวข้องโดยตรงและโดยอ้อม", "โดย|ตรง"),
        ("ตรวจรับผลการดำเนินงานของผู้รับจ้างและตรวจรับ", "ผู้|รับจ้าง"),
    ],
)
def test_libthai_mid_word_breaks_are_not_allowed(text, word):
    position = text.index(word.replace("|", "")) + word.index("|")
    assert inside_a_span(text, position)


@pytest.mark.parametrize(
    "text, number",
    [
        ("เมื่อวันที่ 28 มีนาคม 2560 4.อยู่ระหว่างกำหนดวัน", "4."),
        ("ในเดือนมีนาคม 2560 1. เข้าตรวจสอบบ้าน", "1. "),
        ("ชุมชน และ 2) ก่อให้เกิดประโยชน์", "2) "),
    ],
)
def test_a_list_number_is_joined_to_its_item(text, number):
    after_number = text.index(number) + len(number)
    assert inside_a_span(text, after_number)
    assert not inside_a_span(text, text.index(number))  # the line may break before it


def test_breaks_between_words_stay_allowed():
    text = "ประชาสัมพันธ์รณรงค์สร้างจิตสำนึก"
    for position in (len("ประชาสัมพันธ์"), len("ประชาสัมพันธ์รณรงค์")):
        assert not inside_a_span(text, position)
    assert thai_breaks.unbreakable_spans("Best Service (Reengineering) 2560") == ()


def test_positions_count_characters_outside_the_bmp():
    text = "\U0001f600 ผู้รับจ้าง"
    assert inside_a_span(text, len("\U0001f600 ผู้"))
    assert thai_breaks.pango_ranges(text, "th")[0][0] == len("\U0001f600 ".encode())


# The rendered sheets.


def test_seed_sheet_breaks_thai_between_words_only(seeded):
    checked, mid_word, _, overflows = line_breaks(render(sheet_html(seeded)))
    assert checked >= 40  # the seed's long paragraphs break inside unspaced Thai often
    assert mid_word == []
    assert overflows == []


def test_seed_sheet_keeps_list_numbers_with_their_items(seeded):
    _, _, list_numbers, _ = line_breaks(render(sheet_html(seeded)))
    assert list_numbers == []


def test_fifty_generated_sheets_break_thai_between_words_only(db):
    # Two fiscal years up to 2570 (from October 2026): 2569 is complete, every
    # quarter with its narrative.
    generate(5, 10, 2, today=datetime.date(2026, 10, 1))
    indicators = list(Indicator.objects.filter(fiscal_year__year=2569).order_by("org_unit__code", "code"))
    assert len(indicators) == 50
    total, problems = 0, []
    for indicator in indicators:
        checked, mid_word, list_numbers, overflows = line_breaks(render(sheet_html(indicator)))
        total += checked
        problems += [(indicator.full_code, problem) for problem in mid_word + list_numbers + overflows]
    assert total >= 50 * 10
    assert problems == []


# The text layer: nothing was inserted, so nothing invisible comes out.


@pytest.fixture
def seed_pdf(executive_client, seeded):
    response = executive_client.get(reverse("indicator_pdf", args=[seeded.pk]))
    assert response.status_code == 200
    return response.content


def test_no_invisible_character_reaches_the_text_layer(seed_pdf):
    assert shutil.which("pdftotext"), "poppler-utils is not installed (.ci/run and make test install it)"
    poppler = subprocess.run(["pdftotext", "-", "-"], input=seed_pdf, capture_output=True, check=True)
    pypdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(seed_pdf)).pages)
    actual_texts = []
    with pikepdf.open(io.BytesIO(seed_pdf)) as pdf:
        for page in pdf.pages:
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("BDC") and "/ActualText" in operands[1]:
                    actual_texts.append(str(operands[1].ActualText))
    assert actual_texts
    for text in (poppler.stdout.decode(), pypdf_text, *actual_texts):
        assert INVISIBLE.findall(text) == []
    assert "วัดประดิษฐาราม" in "".join(actual_texts)


def test_sheets_rendered_with_other_line_breaks_are_not_reused(monkeypatch):
    """Books reuse a sheet's PDF while its fingerprint holds: it covers the breaking rules."""
    assets_version.cache_clear()
    before = assets_version()
    monkeypatch.setattr(thai_breaks, "version", lambda: "ICU 99.1, rules of another day")
    assets_version.cache_clear()
    try:
        assert assets_version() != before
    finally:
        assets_version.cache_clear()


def test_only_a_layout_that_may_break_gets_break_attributes():
    """A layout of unlimited width (a line measured, or drawn once broken) never breaks a
    line: its text is not analysed and gets no attribute; given a width, it gets them."""
    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = font_configuration()
    style["font_family"] = ["Sarabun KPI"]
    style["font_size"] = 12
    style["lang"] = "th"
    text = "ประธานชุมชนวัดประดิษฐารามยื่นคำร้อง"  # libthai breaks วัดประ|ดิษฐาราม
    unlimited = line_break.Layout(style)
    unlimited.set_text(text)
    assert unlimited.weasyprint_attributes is None
    limited = line_break.Layout(style)
    pango.pango_layout_set_width(limited.layout, 60 * 1024)
    limited.set_text(text)
    assert limited.weasyprint_attributes is not None  # our list, with the break attribute, is on it
