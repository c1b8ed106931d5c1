"""The seed sheet's lines, as sentences our page and PDF must show verbatim."""

import re
from pathlib import Path

SEED_FILE = Path(__file__).parent / "data" / "seed_sheet_000_2dc794069d1136f5.txt"

# Lines of the old sheet that are not content: navigation and print controls
# (our page has its own), the lone "0" of unknown meaning (docs/sheet.md: left
# out), and "0 / 0", the old system's way of saying "not yet evaluated", which
# we show as "–".
NOT_CONTENT = {"Back Home", "0", "0 / 0", "รายละเอียดตัวชี้วัดฯ : พิมพ์ข้อมูล"}


def seed_sentences() -> list[str]:
    """Each content line of the seed sheet, in order, without the old system's
    emphasis asterisks and the colons that prefix its strategy lines."""
    sentences = []
    for line in SEED_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line in NOT_CONTENT:
            continue
        line = line.replace("*", "").strip().removeprefix(":")
        sentences.append(line)
    return sentences


def squeeze(text: str) -> str:
    """Text without any whitespace: line breaks in a PDF may fall between words."""
    return re.sub(r"\s+", "", text)


def missing_sentences(text: str, in_order: bool = True) -> list[str]:
    """Seed sentences not found in ``text`` (after each other when ``in_order``)."""
    haystack = squeeze(text)
    missing, position = [], 0
    for sentence in seed_sentences():
        found = haystack.find(squeeze(sentence), position if in_order else 0)
        if found < 0:
            missing.append(sentence)
        elif in_order:
            position = found + len(squeeze(sentence))
    return missing
