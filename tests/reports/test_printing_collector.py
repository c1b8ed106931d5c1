"""Python's garbage collector waits while a PDF renders, and is given back as it was
(reports/printing/collector.py)."""

import gc
import threading

import pytest

from reports.printing import render
from reports.printing.collector import collection_paused

TINY_HTML = '<!doctype html><html lang="th"><body><p>ทดสอบ test</p></body></html>'


@pytest.fixture(autouse=True)
def collector_enabled():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_paused_inside_and_resumed_after():
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_an_error():
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("a render failed")
    assert gc.isenabled()


def test_left_disabled_when_it_was():
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_renders_resume_it_when_the_last_ends():
    first_in, first_may_end = threading.Event(), threading.Event()
    seen = {}

    def first():
        with collection_paused():
            first_in.set()
            first_may_end.wait(5)
            seen["first, before its end"] = gc.isenabled()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(5)
    with collection_paused():
        pass
    seen["after the second, the first still rendering"] = gc.isenabled()
    first_may_end.set()
    thread.join(5)
    assert seen == {"after the second, the first still rendering": False, "first, before its end": False}
    assert gc.isenabled()


def test_a_render_runs_with_the_collector_paused(monkeypatch):
    during = []
    html_class = render.HTML

    class Recording(html_class):
        def render(self, *args, **kwargs):
            during.append(gc.isenabled())
            return super().render(*args, **kwargs)

    monkeypatch.setattr(render, "HTML", Recording)
    pdf, pages = render.html_to_pdf(TINY_HTML)
    assert pdf.startswith(b"%PDF") and pages == 1
    assert during == [False]
    assert gc.isenabled()
