"""What PDF rendering changes in WeasyPrint, installed once per process."""

from reports.printing import (
    actual_text,
    compression,
    ffi_arrays,
    glyph_runs,
    kept_layouts,
    stylesheets,
    svg_text,
    thai_breaks,
)

# Each changes what WeasyPrint draws or writes: their code is part of a rendered sheet's
# fingerprint (fingerprint.py).
MODULES = (actual_text, compression, ffi_arrays, glyph_runs, kept_layouts, stylesheets, svg_text, thai_breaks)


def install() -> None:
    """Thai in PDFs: /ActualText on each line, breaks between words, SVG text shaped as
    one run; our stylesheets parsed once per process; streams deflated at zlib's default
    level; font subsets without a C type parsed per sheet. Idempotent."""
    for module in MODULES:
        module.install()
