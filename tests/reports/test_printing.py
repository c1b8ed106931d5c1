import io
import re
import shutil
import subprocess

import pikepdf
import pytest
import weasyprint
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from pypdf import PdfReader

from reports.printing.install import install
from reports.printing.render import html_to_pdf
from tests.factories import make_indicator
from tests.seed_sheet import missing_sentences

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_pdf(executive_client, seeded):
    response = executive_client.get(reverse("indicator_pdf", args=[seeded.pk]))
    assert response.status_code == 200
    return response


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils is not installed (.ci/run and make test install it)"
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def word_boxes(pdf: bytes, page: int | None = None) -> list[tuple[str, tuple[float, ...]]]:
    """The words (of ``page``, or of every page) with their boxes (pdftotext -bbox), rounded to 0.1 pt."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    html = subprocess.run(
        ["pdftotext", "-bbox", *pages, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [
        (word, tuple(round(float(value), 1) for value in box)) for *box, word in re.findall(pattern, html)
    ]


RUNNING_HEADS = [
    re.compile(pattern)
    for pattern in (
        r"5016 สำนักงานเขตธนบุรี",
        r"ตัวชี้วัด 5016-0685 · ปีงบประมาณ 2560",
        r"พิมพ์เมื่อ \d+ \S+ \d{4} \d\d:\d\d โดย \S+",
        r"หน้า \d+ จาก \d+",
    )
]


def body_text(text: str) -> str:
    """The text without page headers and footers, which cut into paragraphs
    running over a page break."""
    for pattern in RUNNING_HEADS:
        text = pattern.sub(" ", text)
    return text


def test_pdf_response(seed_pdf):
    assert seed_pdf["Content-Type"] == "application/pdf"
    assert seed_pdf["Content-Disposition"] == 'inline; filename="5016-0685-2560.pdf"'
    assert seed_pdf.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(seed_pdf.content))
    # The seed's long definition and four narratives fill four A4 pages.
    assert len(reader.pages) == 4
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (210, 297)


# The page test checks the order; here extractors may read table cells column by
# column, so each sentence is looked for on its own.
def test_every_sentence_of_the_seed_is_in_the_text_layer_for_pdftotext(seed_pdf):
    assert missing_sentences(body_text(pdftotext(seed_pdf.content)), in_order=False) == []


def test_every_sentence_of_the_seed_is_in_the_text_layer_for_pypdf(seed_pdf):
    reader = PdfReader(io.BytesIO(seed_pdf.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert missing_sentences(body_text(text), in_order=False) == []


def test_sara_am_survives_copy_and_search(seed_pdf):
    text = pdftotext(seed_pdf.content)
    assert "ความสำเร็จ" in text
    assert "ความสาเร็จ" not in text


def test_header_and_footer(seed_pdf, executive):
    executive.first_name, executive.last_name = "ประเสริฐ", "บริหารดี"
    executive.save()
    pages = pdftotext(seed_pdf.content).split("\f")
    first, last = pages[0], pages[3]
    assert "5016 สำนักงานเขตธนบุรี" in first
    assert "ตัวชี้วัด 5016-0685 · ปีงบประมาณ 2560" in first
    assert "หน้า 1 จาก 4" in first and "หน้า 4 จาก 4" in last
    printed = re.search(r"พิมพ์เมื่อ (\d+) (\S+) (\d{4}) \d\d:\d\d โดย (\S+)", first)
    assert printed, first[-300:]
    assert int(printed.group(3)) >= 2568  # Buddhist Era, not Gregorian
    assert printed.group(4) == "exec"  # the fixture user had no name when printing


def test_user_text_is_escaped_not_interpreted(executive_client):
    indicator = make_indicator(name='ตัวชี้วัด <b>"ทดสอบ"</b> & อื่น ๆ')
    response = executive_client.get(reverse("indicator_pdf", args=[indicator.pk]))
    assert '<b>"ทดสอบ"</b> & อื่น' in pdftotext(response.content)


def test_unknown_indicator_is_404(executive_client):
    assert executive_client.get(reverse("indicator_pdf", args=[999999])).status_code == 404


# --- the text layer, installed once at start-up (reports/printing) ------------------------------

THAI_LINE = "ความสำเร็จของโครงการ"
LINES_HTML = (
    '<html lang="th"><head><link rel="stylesheet" href="css/sheet.css"></head>'
    f'<body class="pdf"><p>{THAI_LINE}</p><p>Best Service</p></body></html>'
)


def actual_texts(pdf: bytes) -> list[str]:
    """The /ActualText of every marked-content span of the PDF's pages, in order."""
    found = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary):
                    if "/ActualText" in operands[1]:
                        found.append(str(operands[1].ActualText))
    return found


def test_each_line_of_thai_is_drawn_with_its_actual_text():
    pdf, pages = html_to_pdf(LINES_HTML)
    assert pages == 1
    assert actual_texts(pdf) == [THAI_LINE]  # the Latin line needs none


def test_installing_again_wraps_weasyprint_once():
    install()
    install()
    pdf, _pages = html_to_pdf(LINES_HTML)
    assert actual_texts(pdf) == [THAI_LINE]  # one span per line, not one inside another


def test_an_untested_weasyprint_is_refused(monkeypatch):
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(ImproperlyConfigured, match=r"WeasyPrint 71\.0 .*tested with 70\.0"):
        install()
