"""Font subsets are made without a C type parsed per new glyph count
(reports/printing/ffi_arrays.py), and the PDF is the same as with WeasyPrint's own."""

import pytest
from weasyprint.pdf import fonts

from reports.printing.ffi_arrays import OpenArrays
from reports.printing.render import html_to_pdf


class Recorder:
    """An ffi that records what it is asked for."""

    NULL = "null"

    def __init__(self):
        self.asked = []

    def new(self, cdecl, init=None):
        self.asked.append((cdecl, init))
        return cdecl


def test_sized_arrays_with_their_values_become_open_arrays():
    recorder = Recorder()
    ffi = OpenArrays(recorder)
    ffi.new("hb_codepoint_t[3]", [7, 8, 9])
    ffi.new("hb_codepoint_t[0]", [])
    ffi.new("hb_tag_t[100]")  # no values: the size is what it asks for
    ffi.new("unsigned int *", 100)
    ffi.new("char[4]", 4)  # a count, not values
    assert recorder.asked == [
        ("hb_codepoint_t[]", [7, 8, 9]),
        ("hb_codepoint_t[]", []),
        ("hb_tag_t[100]", None),
        ("unsigned int *", 100),
        ("char[4]", 4),
    ]
    assert ffi.NULL == "null"  # the rest is the real ffi's


def test_weasyprints_ffi_makes_the_same_arrays():
    ffi = fonts.ffi
    assert isinstance(ffi, OpenArrays)  # installed at start-up (ReportsConfig.ready)
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    array = ffi.new("hb_codepoint_t[8]", values)
    assert ffi.typeof(array) == ffi.typeof(ffi._ffi.new("hb_codepoint_t[]", values))
    assert len(array) == 8 and list(array) == values


SHEET = (
    '<!doctype html><html lang="th"><head><link rel="stylesheet" href="css/sheet.css"></head>'
    '<body class="pdf"><h3 class="sheet-name">{}</h3><p><b>ตัวหนา</b> ข้อความ {}</p></body></html>'
)


@pytest.mark.parametrize("text", ["ร้อยละความสำเร็จ 2568", "ผู้รับจ้าง Best Service 1,234.50 บาท"])
def test_the_pdf_is_the_same_as_with_weasyprints_own_ffi(monkeypatch, text):
    html = SHEET.format(text, text)
    ours, _pages = html_to_pdf(html)
    monkeypatch.setattr(fonts, "ffi", fonts.ffi._ffi)
    theirs, _pages = html_to_pdf(html)
    assert ours == theirs
