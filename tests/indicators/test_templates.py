"""The registry's templates stand on their own: import-linter checks the Python imports
(.importlinter), this checks what it cannot see."""

import re

from django.conf import settings

REPORTS_TEMPLATE = re.compile(r"""{%\s*(?:include|extends)\s+["']reports/""")


def registry_templates():
    templates = settings.BASE_DIR / "templates"
    return sorted([*(templates / "indicators").rglob("*"), *(templates / "admin" / "indicators").rglob("*")])


def test_the_registry_templates_never_include_or_extend_a_reports_template():
    files = [path for path in registry_templates() if path.is_file()]
    assert files, "no registry template found: the test looks in the wrong place"
    offending = [str(path) for path in files if REPORTS_TEMPLATE.search(path.read_text())]
    assert offending == []
