import pytest

from reports import sheet_pdf
from reports.printing.render import html_to_pdf
from tests.reports.reporting import reporting_world


@pytest.fixture
def setup(db, settings, tmp_path):
    """The reporting tests' world (tests/reports/reporting.py), files kept apart."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return reporting_world()


@pytest.fixture
def renders(monkeypatch):
    """The sheet bodies a single print rendered (not taken from the PDF cache), as a list
    of their HTML (reports/sheet_pdf.py)."""
    rendered = []

    def counting(html):
        rendered.append(html)
        return html_to_pdf(html)

    monkeypatch.setattr(sheet_pdf, "html_to_pdf", counting)
    return rendered
