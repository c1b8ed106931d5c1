"""What PDF rendering changes in WeasyPrint, installed once per process."""

from reports.printing import actual_text, stylesheets, thai_breaks


def install() -> None:
    """Thai in PDFs: /ActualText on each line, breaks between words; our stylesheets
    parsed once per process. Idempotent."""
    actual_text.install()
    thai_breaks.install()
    stylesheets.install()
