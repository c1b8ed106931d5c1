"""Font subsetting without a C parser run per print.

WeasyPrint subsets each font of a PDF with HarfBuzz, and hands it the glyphs to keep
as ``ffi.new(f"hb_codepoint_t[{len(glyphs)}]", glyphs)``. cffi parses every new type
string with pycparser and caches the type under that string, so each new glyph count,
which is each new sheet, font by font, pays a parse again: some 20 ms of a first print
(measured: the seed sheet's first print in a worker after its warm-up, 79 ms of profiled
time in cffi's ``_typeof`` for the subsetting alone, none on a print of the same sheet
again, whose counts were cached). Printing a book of hundreds of different sheets paid
it for nearly every sheet.

``install`` gives WeasyPrint's font module an ``ffi`` that asks for ``T[]`` where it
asked for ``T[n]`` with its ``n`` values: cffi makes the same array (as many elements
as values given), and parses the type once. Everything else is WeasyPrint's ffi.
"""

import re

from weasyprint.pdf import fonts

SIZED_ARRAY = re.compile(r"(.+)\[\d+\]")


class OpenArrays:
    """An ffi whose ``new("T[n]", values)`` is ``new("T[]", values)``."""

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        match = SIZED_ARRAY.fullmatch(cdecl)
        if match and init is not None and not isinstance(init, int):
            return self._ffi.new(f"{match.group(1)}[]", init)
        return self._ffi.new(cdecl, init)


def install() -> None:
    """WeasyPrint's font subsetting through ``OpenArrays``. Idempotent."""
    if not isinstance(fonts.ffi, OpenArrays):
        fonts.ffi = OpenArrays(fonts.ffi)
