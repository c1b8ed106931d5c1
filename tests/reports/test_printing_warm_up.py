"""A fresh gunicorn worker prints a sheet before its first request (gunicorn.conf.py's
post_worker_init, reports/printing/warm.py), so that its first print is as fast as the
next; ``make bench`` (tools/bench_pdf.py) measures that, here it only has to work."""

import runpy

import pytest
from django.conf import settings
from django.core.cache import caches

from reports.printing import warm

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed(monkeypatch):
    """The HTML of each document the warm-up prints."""
    html_to_pdf, documents = warm.html_to_pdf, []
    monkeypatch.setattr(warm, "html_to_pdf", lambda html: documents.append(html) or html_to_pdf(html))
    return documents


@pytest.fixture
def warm_up_renderer():
    return runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))["warm_up_renderer"]


def test_a_new_worker_prints_a_sheet_of_the_database_and_keeps_nothing(warm_up_renderer, seeded, printed):
    caches["pdf"].clear()
    assert warm_up_renderer() == "reports.printing.warm_up"
    assert len(printed) == 1 and "5016-0685" in printed[0]
    # The cache API has no listing: FileBasedCache's own.
    assert caches["pdf"]._list_cache_files() == []


def test_an_empty_database_warms_up_on_a_tiny_sheet(warm_up_renderer, printed):
    assert warm_up_renderer() == "reports.printing.warm_up"
    assert printed == [warm.TINY_SHEET_HTML]
