"""Python's cyclic garbage collector paused while a PDF is rendered.

A render allocates some hundred thousand objects (boxes, styles, PDF objects), most
of them alive until it ends, so the collector runs over and over during it, and its
older generations each time walk every object of the process (Django, the URLconf,
the fonts and stylesheets kept between renders): about a tenth of a sheet's CPU time
for nothing, as almost all of it is still in use. Paused, the collector runs once
after the render, over what the render left. Reference counting still frees what it
can at once; only cycles wait for the end of the render, which adds a little to the
render's peak memory (a sheet is a few MB).

Renders in other threads of the process may overlap: the collector is paused while
any of them runs and resumed, as it was, when the last one ends. A render that ends
while others still run collects the youngest generation itself (what the resumed
collector would do first), so that a worker printing without a break does not pile up
garbage; and if the collector has then been paused for longer than ``MAX_PAUSE``
seconds, it makes a full collection. A process that had disabled the collector itself
keeps it disabled.
"""

import gc
import threading
import time
from contextlib import contextmanager

# The longest the older generations wait while renders overlap without a break.
MAX_PAUSE = 10.0

_lock = threading.Lock()
_renders = 0
_was_enabled = False
_paused_since = 0.0


@contextmanager
def collection_paused():
    """Python's cyclic garbage collector paused inside the block (and any overlapping one)."""
    global _renders, _was_enabled, _paused_since
    with _lock:
        if _renders == 0:
            _was_enabled = gc.isenabled()
            _paused_since = time.monotonic()
            gc.disable()
        _renders += 1
    try:
        yield
    finally:
        collect = None
        with _lock:
            _renders -= 1
            if _renders == 0:
                if _was_enabled:
                    gc.enable()
            elif _was_enabled:
                # Others still render: collect what the resumed collector would.
                now = time.monotonic()
                if now - _paused_since > MAX_PAUSE:
                    collect, _paused_since = 2, now
                else:
                    collect = 0
        if collect is not None:
            gc.collect(collect)
