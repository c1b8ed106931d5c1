"""Our static stylesheets parsed once per process, not once per PDF.

WeasyPrint parses every ``<link rel="stylesheet">`` of every document it renders:
for a sheet, css/sheet.css and its @import of css/fonts.css take about 8 ms (tinycss2,
property validation, selectors compiled), some 5% of a sheet's render. ``install()``
makes WeasyPrint's stylesheet finder reuse one parsed ``CSS`` per file of static/css
(kept while the file's modification time is unchanged). It stays where it was: the same
origin (author), in the same order among the document's stylesheets.

A parsed stylesheet can be shared: the cascade only reads its selector matcher and
its @page rules, and its @font-face rules went into the process's one font
configuration when it was parsed. What would have to be registered with each render
(@counter-style, colour profiles) is not shared: such a stylesheet is parsed every time.
Only top-level stylesheets are shared; an @import is parsed into its parent.
"""

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
import weasyprint.css

from reports.printing.render import STATIC_DIR_URI, font_configuration

SHARED_PREFIX = STATIC_DIR_URI + "css/"
_CSS = weasyprint.CSS
_lock = threading.Lock()
_parsed: dict[tuple[str, str, int], _CSS] = {}


def _shareable(kwargs) -> bool:
    url = kwargs.get("url")
    return (
        isinstance(url, str)
        and url.startswith(SHARED_PREFIX)
        and ".." not in url
        and kwargs.get("matcher") is None  # not an @import into another sheet
        and kwargs.get("font_config") is font_configuration()
        and not kwargs.get("color_profiles")
    )


def css(*args, **kwargs):
    """WeasyPrint's ``CSS(...)``, shared for our static stylesheets."""
    if args or not _shareable(kwargs):
        return _CSS(*args, **kwargs)
    url, media_type = kwargs["url"], kwargs.get("media_type", "print")
    try:
        modified = Path(unquote(urlsplit(url).path)).stat().st_mtime_ns
    except OSError:
        return _CSS(*args, **kwargs)
    key = (url, media_type, modified)
    with _lock:
        parsed = _parsed.get(key)
        if parsed is None:
            counter_styles = {}
            options = {**kwargs, "counter_style": counter_styles, "page_rules": None, "layers": None}
            parsed = _CSS(**options)
            if counter_styles or parsed.layers:
                return _CSS(*args, **kwargs)  # registers something per render: not shared
            _parsed[key] = parsed
    return parsed


def install() -> None:
    """Let WeasyPrint's stylesheet finder share our parsed stylesheets. Idempotent."""
    weasyprint.css.CSS = css
