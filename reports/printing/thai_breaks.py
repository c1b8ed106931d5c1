"""Thai line breaks in PDFs between words only, as browsers break them.

Thai is written without spaces between words, so a renderer needs a dictionary
to know where a line may break. Pango (under WeasyPrint) asks libthai, whose
dictionary breaks some names and compounds in the middle (วัดประ|ดิษฐาราม,
ผู้|รับจ้าง); browsers ask ICU. Here ICU's line breaker (PyICU) decides: a
stretch of Thai between two of ICU's break opportunities is unbreakable, and
where Pango would break inside one, a Pango ``allow_breaks=FALSE`` attribute
over it removes the break. Pango applies break attributes after its
script-specific breakers, so they win; libthai's breaks that ICU also allows
stay. A list number ("4." or "4. ") counts as part of the stretch after it, so
it never ends a line.

Only stretches that need it get an attribute: attributes on every word cost
about 7% of a sheet's render, while comparing with Pango's own breaks first
costs about 10% the first time a text is laid out (ICU and Pango's break
analysis) and about 1% once cached (tools/bench_linebreaks.py). Results are
cached per text: WeasyPrint lays out the same pieces of a paragraph several
times, and sheets are rendered again.

Nothing is inserted into the text (no zero-width spaces or word joiners), so
what extractors read from the PDF, and the /ActualText of actual_text.py, stay
exactly the text as written. The screen page is not concerned: browsers already
break with ICU.

WeasyPrint has no public hook for this; ``install()`` wraps two methods of its
``Layout`` and its ``get_log_attrs`` (WeasyPrint 70, Pango >= 1.44).
"""

import hashlib
import re
import threading
from functools import cache, lru_cache
from pathlib import Path

import icu
from weasyprint.text import line_break
from weasyprint.text.ffi import ffi, pango

THAI = re.compile("[\u0e00-\u0e7f]")
# A list number as a stretch of its own: "4." or "2) " at the start of a stretch
# (ICU keeps "4.อยู่" together already, but breaks after "4. ").
LIST_NUMBER = re.compile(r"\d{1,3}[.)] ?")
# Texts up to this length are cached: WeasyPrint lays out a paragraph's head
# (a line and a bit) many times over while it fits lines.
CACHED_LENGTH = 2000

ffi.cdef(
    """
    PangoAttribute * pango_attr_allow_breaks_new (gboolean allow_breaks);
    PangoAttrList * pango_attr_list_copy (PangoAttrList *list);
    PangoAttrList * pango_attr_list_ref (PangoAttrList *list);
    int pango_layout_get_width (PangoLayout *layout);
    """
)

Spans = tuple[tuple[int, int], ...]
_local = threading.local()
_setup = line_break.Layout.setup
_set_text = line_break.Layout.set_text
_get_log_attrs = line_break.get_log_attrs


def _line_iterator():
    # A BreakIterator is not safe to share between threads.
    iterator = getattr(_local, "iterator", None)
    if iterator is None:
        iterator = _local.iterator = icu.BreakIterator.createLineInstance(icu.Locale("th"))
    return iterator


def break_opportunities(text: str) -> list[int]:
    """Positions (in code points) where ICU allows a line break, 0 and len(text) included."""
    iterator = _line_iterator()
    iterator.setText(text)
    positions = [0, *iterator]
    if len(text.encode("utf-16-le")) != 2 * len(text):
        # ICU counts UTF-16 units: map them back past characters outside the BMP.
        unit_to_index = []
        for index, char in enumerate(text):
            unit_to_index.extend([index] * (2 if ord(char) > 0xFFFF else 1))
        unit_to_index.append(len(text))
        positions = [unit_to_index[position] for position in positions]
    return positions


def _unbreakable_spans(text: str) -> Spans:
    positions = break_opportunities(text)
    spans = []
    index = 0
    while index < len(positions) - 1:
        start, end = positions[index], positions[index + 1]
        index += 1
        number = LIST_NUMBER.fullmatch(text, start, end)
        if number and index < len(positions) - 1:
            end = positions[index + 1]
            index += 1
        if end - start > 1 and (number or THAI.search(text, start, end)):
            spans.append((start, end))
    return tuple(spans)


_cached_unbreakable_spans = lru_cache(maxsize=8192)(_unbreakable_spans)


def unbreakable_spans(text: str) -> Spans:
    """(start, end) code-point ranges of ``text`` inside which no line may break."""
    if not THAI.search(text):
        return ()
    return _cached_unbreakable_spans(text) if len(text) <= CACHED_LENGTH else _unbreakable_spans(text)


def _probe_line_break_bit() -> bool:
    probe = ffi.new("PangoLogAttr *")
    probe.is_line_break = True
    return ffi.buffer(probe)[:] == b"\x01" + bytes(ffi.sizeof("PangoLogAttr") - 1)


# PangoLogAttr is a struct of bit fields; where is_line_break is its lowest bit
# (as on every little-endian machine), read them all at once rather than
# field by field through cffi, which is slow.
LOG_ATTR_SIZE = ffi.sizeof("PangoLogAttr")
LINE_BREAK_IS_LOWEST_BIT = _probe_line_break_bit()
LOWEST_BIT = bytes(byte & 1 for byte in range(256))


def pango_line_breaks(text: str, lang) -> bytes:
    """One byte per position in ``text`` (and one after): 1 where Pango alone would break a line."""
    log_attrs = _get_log_attrs(text, lang)
    if LINE_BREAK_IS_LOWEST_BIT:
        return ffi.buffer(log_attrs)[:][::LOG_ATTR_SIZE].translate(LOWEST_BIT)
    return bytes(bool(log_attrs[position].is_line_break) for position in range(len(text) + 1))


def _pango_ranges(text: str, lang) -> Spans:
    breaks = pango_line_breaks(text, lang)
    ranges, done, done_bytes = [], 0, 0
    for start, end in unbreakable_spans(text):
        if breaks.find(1, start + 1, end) < 0:
            continue  # Pango would not break inside anyway: an attribute would only cost time
        start_bytes = done_bytes + len(text[done:start].encode())
        end_bytes = start_bytes + len(text[start:end].encode())
        ranges.append((start_bytes, end_bytes))
        done, done_bytes = end, end_bytes
    return tuple(ranges)


_cached_pango_ranges = lru_cache(maxsize=8192)(_pango_ranges)


def pango_ranges(text: str, lang) -> Spans:
    """UTF-8 byte ranges (as Pango counts) of the unbreakable spans inside which
    Pango, left alone, would break a line."""
    if not THAI.search(text):
        return ()
    return _cached_pango_ranges(text, lang) if len(text) <= CACHED_LENGTH else _pango_ranges(text, lang)


def setup(self, style):
    _setup(self, style)
    self.weasyprint_attributes = None


def set_text(self, text, justify=False):
    if self.weasyprint_attributes is not None:
        # Our list, made for an earlier text, is on the layout: put WeasyPrint's
        # own back (font features, spacing), so no break attribute is left over.
        pango.pango_layout_set_attributes(self.layout, self.weasyprint_attributes)
        self.weasyprint_attributes = None
    _set_text(self, text, justify)
    if pango.pango_layout_get_width(self.layout) == -1:
        # A layout of unlimited width (a line measured, or drawn once broken) never
        # breaks: it needs no attribute, and its text no analysis.
        return
    ranges = pango_ranges(self.text, self.style["lang"])  # set_text may have changed the text
    if not ranges:
        return
    current = pango.pango_layout_get_attributes(self.layout)
    if current == ffi.NULL:
        self.weasyprint_attributes, attributes = ffi.NULL, pango.pango_attr_list_new()
    else:
        # The layout lets go of WeasyPrint's list when it takes ours: keep a reference.
        self.weasyprint_attributes = ffi.gc(pango.pango_attr_list_ref(current), pango.pango_attr_list_unref)
        attributes = pango.pango_attr_list_copy(current)
    for start, end in ranges:
        attribute = pango.pango_attr_allow_breaks_new(False)
        attribute.start_index, attribute.end_index = start, end
        pango.pango_attr_list_insert(attributes, attribute)  # the list owns it now
    pango.pango_layout_set_attributes(self.layout, attributes)
    pango.pango_attr_list_unref(attributes)  # the layout keeps its own reference


def get_log_attrs(text, lang):
    """Pango's break opportunities of a bare text (WeasyPrint asks them between
    inline boxes), less those inside an unbreakable span."""
    log_attrs = _get_log_attrs(text, lang)
    for start, end in unbreakable_spans(text):
        for position in range(start + 1, end):
            log_attrs[position].is_line_break = False
    return log_attrs


@cache
def version() -> str:
    """What decides the breaks besides the text: these rules and ICU (its
    dictionary), for fingerprints of rendered sheets (reports/books/rendering.py)."""
    return f"ICU {icu.ICU_VERSION}, rules {hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]}"


def install():
    """Make every WeasyPrint layout of this process break Thai like ICU. Idempotent."""
    line_break.Layout.setup = setup
    line_break.Layout.set_text = set_text
    line_break.get_log_attrs = get_log_attrs
