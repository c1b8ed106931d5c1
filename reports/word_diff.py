"""Where a text changed, word by word: for the history page's "from" and "to".

Thai has no spaces between words, so words are found by ICU's word breaker (PyICU,
as the PDF's line breaks are: reports/printing/thai_breaks.py); difflib lines the two
word sequences up. Long unchanged stretches are cut to a few words either side of a
change, so a change at the end of a long narrative is seen, not cut off.
"""

import difflib
from dataclasses import dataclass

import icu

# Unchanged words kept either side of a change; a longer unchanged stretch is elided.
CONTEXT_WORDS = 6


@dataclass(frozen=True)
class Part:
    kind: str  # "same", "removed", "added", or "gap" (unchanged words left out)
    text: str


def words(text: str) -> list[str]:
    """``text`` cut at ICU's word boundaries (spaces and punctuation are pieces of their own)."""
    breaker = icu.BreakIterator.createWordInstance(icu.Locale("th"))  # one per call: not thread-safe
    breaker.setText(text)
    # ICU counts in UTF-16 code units; convert so characters outside the BMP cut right.
    utf16 = text.encode("utf-16-le")
    bounds = [0, *breaker]
    return [utf16[2 * a : 2 * b].decode("utf-16-le") for a, b in zip(bounds, bounds[1:], strict=False)]


def _same(pieces: list[str], first: bool, last: bool) -> list[Part]:
    """An unchanged stretch, cut to CONTEXT_WORDS pieces next to the changes around it."""
    head = [] if first else pieces[:CONTEXT_WORDS]
    tail = [] if last else pieces[-CONTEXT_WORDS:]
    if len(pieces) <= len(head) + len(tail) or (first and last):
        return [Part("same", "".join(pieces))]
    parts = [Part("same", "".join(head))] if head else []
    parts.append(Part("gap", "…"))
    if tail:
        parts.append(Part("same", "".join(tail)))
    return parts


def word_diff(old: str, new: str) -> tuple[list[Part], list[Part]]:
    """The old text with its removed words marked, and the new with its added words."""
    old_words, new_words = words(old), words(new)
    opcodes = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes()
    before: list[Part] = []
    after: list[Part] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = _same(old_words[i1:i2], first=index == 0, last=index == len(opcodes) - 1)
            before += same
            after += same
            continue
        if i2 > i1:
            before.append(Part("removed", "".join(old_words[i1:i2])))
        if j2 > j1:
            after.append(Part("added", "".join(new_words[j1:j2])))
    return before, after
