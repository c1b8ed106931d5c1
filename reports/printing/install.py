"""What PDF rendering changes in WeasyPrint, installed once per process."""

from reports.printing import actual_text, compression, stylesheets, thai_breaks


def install() -> None:
    """Thai in PDFs: /ActualText on each line, breaks between words; our stylesheets
    parsed once per process; streams deflated at zlib's default level. Idempotent."""
    actual_text.install()
    compression.install()
    thai_breaks.install()
    stylesheets.install()
