"""What PDF rendering changes in WeasyPrint, installed once per process."""

from reports.printing import actual_text, compression, ffi_arrays, stylesheets, thai_breaks


def install() -> None:
    """Thai in PDFs: /ActualText on each line, breaks between words; our stylesheets
    parsed once per process; streams deflated at zlib's default level; font subsets
    without a C type parsed per sheet. Idempotent."""
    actual_text.install()
    compression.install()
    ffi_arrays.install()
    thai_breaks.install()
    stylesheets.install()
