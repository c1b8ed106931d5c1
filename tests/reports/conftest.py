import pytest

from tests.reports.reporting import reporting_world


@pytest.fixture
def setup(db, settings, tmp_path):
    """The reporting tests' world (tests/reports/reporting.py), files kept apart."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return reporting_world()
