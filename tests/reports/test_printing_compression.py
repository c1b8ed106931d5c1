"""The PDF's streams are deflated at zlib's default level, not its slowest, and read
back the same (reports/printing/compression.py)."""

import io
import zlib

import pydyf
from pypdf import PdfReader

from reports.printing.render import html_to_pdf

RAW = b"\n".join(b"BT /F1 11 Tf 72 %d Td (line %d) Tj ET" % (700 - n, n) for n in range(200))


def stream_bytes(stream: pydyf.Stream) -> bytes:
    data = stream.data
    return data[data.index(b"\nstream\n") + len(b"\nstream\n") : data.rindex(b"\nendstream")]


def test_pydyf_deflates_at_level_6():
    # Installed at start-up (ReportsConfig.ready).
    compressed = stream_bytes(pydyf.Stream([RAW], compress=True))
    assert compressed == zlib.compress(RAW, 6)
    assert compressed != zlib.compress(RAW, 9)
    assert zlib.decompress(compressed) == RAW


def test_the_rest_of_zlib_is_zlibs():
    assert pydyf.zlib.decompress(zlib.compress(RAW)) == RAW
    assert pydyf.zlib.error is zlib.error


def test_a_printed_pdf_reads_back():
    pdf, pages = html_to_pdf(
        '<!doctype html><html lang="th"><head><link rel="stylesheet" href="css/sheet.css"></head>'
        '<body class="pdf"><p>ทดสอบ test</p></body></html>'
    )
    reader = PdfReader(io.BytesIO(pdf))
    assert pages == len(reader.pages) == 1
    assert "ทดสอบ test" in reader.pages[0].extract_text()
