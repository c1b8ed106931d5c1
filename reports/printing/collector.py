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
any of them runs and resumed, as it was, when the last one ends. A process that had
disabled the collector itself keeps it disabled.
"""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_renders = 0
_was_enabled = False


@contextmanager
def collection_paused():
    """Python's cyclic garbage collector paused inside the block (and any overlapping one)."""
    global _renders, _was_enabled
    with _lock:
        if _renders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _renders += 1
    try:
        yield
    finally:
        with _lock:
            _renders -= 1
            if _renders == 0 and _was_enabled:
                gc.enable()
