"""What, besides a sheet's HTML, shapes its PDF: hashes that change when the code does."""

import hashlib
from functools import cache
from pathlib import Path

import weasyprint
from django.conf import settings

from reports.printing import install, thai_breaks


@cache
def assets_version() -> str:
    """A hash of what shapes a sheet's PDF besides its HTML: stylesheets, fonts, Thai line
    breaks (ICU's dictionary too), WeasyPrint and what we change in it."""
    digest = hashlib.sha256(f"{thai_breaks.version()}, WeasyPrint {weasyprint.__version__}".encode())
    for module in install.MODULES:
        digest.update(Path(module.__file__).read_bytes())
    static = settings.BASE_DIR / "static"
    for path in sorted([*(static / "css").glob("*.css"), *(static / "fonts").glob("*.ttf")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(html: str) -> str:
    """A hash of a sheet's HTML and of what else shapes its PDF: equal for equal PDFs."""
    return hashlib.sha256(assets_version().encode() + html.encode()).hexdigest()


@cache
def code_version() -> str:
    """A hash of what turns a sheet's rows into its PDF besides the rows: the templates and
    message catalogues (a deploy that changes a label changes every key), and what the
    books' fingerprint covers (stylesheets, fonts, Thai line breaks)."""
    digest = hashlib.sha256(assets_version().encode())
    roots = [settings.BASE_DIR / "templates", settings.BASE_DIR / "locale"]
    roots += [settings.BASE_DIR / app / "templatetags" for app in ("indicators", "reports", "kpi_portal")]
    roots += [settings.BASE_DIR / "reports" / name for name in ("sheet.py", "charts.py", "printing")]
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            if path.suffix in (".html", ".svg", ".txt", ".mo", ".py"):
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
