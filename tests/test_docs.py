"""The README and docs/ stand alone: nothing points outside the repository, and every
file or image they link to is in it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Markdown links and images, and paths in backticks that start with "../".
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"(?<![\w/])\.\./")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_documents_point_only_inside_the_repository(document):
    text = document.read_text(encoding="utf-8")
    assert not OUTSIDE.search(text), f"{document.name} points outside the repository"
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path = (document.parent / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), target
        assert path.exists(), f"{document.name} links to {target}, which is not in the repository"


def test_the_readme_links_the_domain_and_the_sheet():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/domain.md" in readme and "docs/sheet.md" in readme
