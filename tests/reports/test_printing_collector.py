"""Python's garbage collector waits while a PDF renders, and is given back as it was
(reports/printing/collector.py)."""

import gc
import threading
import time
import weakref

import pytest

from reports.printing import collector, render
from reports.printing.collector import collection_paused

TINY_HTML = '<!doctype html><html lang="th"><body><p>ทดสอบ test</p></body></html>'


@pytest.fixture(autouse=True)
def collector_enabled():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if was_enabled:
        gc.enable()  # as before the test, whatever the test left
    else:
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


@pytest.fixture
def collections():
    """The generations the collector collects, as it collects them."""
    generations = []

    def record(phase, info):
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(record)
    yield generations
    gc.callbacks.remove(record)


def overlapped(while_rendering):
    """``while_rendering()`` called in a render that starts and ends while another
    thread's render runs; what the collector's state was at each step."""
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
        while_rendering()
    seen["after the second, the first still rendering"] = gc.isenabled()
    first_may_end.set()
    thread.join(5)
    return seen


def test_overlapping_renders_resume_it_when_the_last_ends(collections):
    seen = overlapped(lambda: None)
    assert seen == {"after the second, the first still rendering": False, "first, before its end": False}
    assert gc.isenabled()
    # The render that ended while the other ran collected the youngest generation.
    assert collections[:1] == [0]


def test_a_long_pause_ends_with_a_full_collection(collections, monkeypatch):
    monkeypatch.setattr(collector, "MAX_PAUSE", 0.0)
    overlapped(lambda: time.sleep(0.01))
    assert collections[:1] == [2]
    assert gc.isenabled()


def test_nothing_collected_by_hand_when_it_was_disabled(collections):
    gc.disable()
    overlapped(lambda: None)
    assert collections == []
    assert not gc.isenabled()


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


def test_the_document_is_gone_when_the_collector_resumes(monkeypatch):
    """The collector's first pass after a render frees the render's cycles; were the
    document still alive then, that pass would walk all of it only to keep it, and the
    next older generation's pass would walk it again."""
    html_class = render.HTML
    documents = []
    alive_at_collections = []

    class Recording(html_class):
        def render(self, *args, **kwargs):
            document = super().render(*args, **kwargs)
            documents.append(weakref.ref(document))
            return document

    def record(phase, info):
        if phase == "start" and documents:
            alive_at_collections.append(documents[0]() is not None)

    monkeypatch.setattr(render, "HTML", Recording)
    gc.callbacks.append(record)
    try:
        # A sheet allocates far more than a collection's threshold (700 objects).
        pdf, pages = render.html_to_pdf(TINY_HTML.replace("ทดสอบ test", "ทดสอบ test " * 400))
        gc.collect(0)
    finally:
        gc.callbacks.remove(record)
    assert pdf.startswith(b"%PDF") and pages >= 1
    assert alive_at_collections, "no collection after the render"
    assert alive_at_collections[0] is False
