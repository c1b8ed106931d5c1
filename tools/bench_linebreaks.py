"""What breaking Thai between words (reports/printing/thai_breaks.py) costs, and what it fixes.

    .venv/bin/python tools/bench_linebreaks.py        # BENCH_RENDERS=15 by default

Renders the seed sheet's PDF warm with ICU's breaks and with Pango's own (libthai)
breaks, interleaved, and prints the medians; then the same for 50 generated
sheets (layout only), with the mid-word breaks and list numbers at line ends
counted as tests/reports/test_thai_breaks.py counts them, and what the ICU
segmentation alone costs. Uses a throwaway SQLite database. Not a test: it
asserts nothing.
"""

import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = Path(tempfile.mkdtemp()) / "bench-linebreaks.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils.translation import override  # noqa: E402
from weasyprint import HTML  # noqa: E402
from weasyprint.text import line_break  # noqa: E402

from indicators.models import Indicator  # noqa: E402
from reports.demo.generate import generate, seed_indicator  # noqa: E402
from reports.printing import thai_breaks  # noqa: E402
from reports.printing.render import (  # noqa: E402
    STATIC_DIR_URI,
    StaticOnlyFetcher,
    font_configuration,
    sheet_html,
)
from reports.sheet import build_sheet  # noqa: E402
from tests.reports.test_thai_breaks import line_breaks  # noqa: E402

RENDERS = int(os.environ.get("BENCH_RENDERS", 15))
ICU = (thai_breaks.setup, thai_breaks.set_text, thai_breaks.get_log_attrs)
LIBTHAI = (thai_breaks._setup, thai_breaks._set_text, thai_breaks._get_log_attrs)


def use(breaks):
    line_break.Layout.setup, line_break.Layout.set_text, line_break.get_log_attrs = breaks


def document(html):
    return HTML(string=html, base_url=STATIC_DIR_URI, url_fetcher=StaticOnlyFetcher())


def timed(function):
    """(wall ms, CPU ms, result): CPU time is steadier on a machine shared with others."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def main():
    call_command("migrate", verbosity=0)
    seed = seed_indicator()
    generate(5, 10, 2, today=datetime.date(2026, 10, 1))
    generated = Indicator.objects.filter(fiscal_year__year=2569).order_by("org_unit__code", "code")
    with override("th"):
        seed_html = sheet_html(build_sheet(seed))
        htmls = [sheet_html(build_sheet(indicator)) for indicator in generated]
    font_config = font_configuration()

    def render(html):
        return document(html).render(font_config=font_config)

    def seed_pdf():
        return document(seed_html).write_pdf(font_config=font_config)

    runs = {
        "libthai (Pango alone)": (LIBTHAI, False),
        "ICU, segmentation cached": (ICU, False),
        "ICU, cache emptied first": (ICU, True),
    }
    for breaks, _ in runs.values():  # warm each
        use(breaks)
        seed_pdf()
    wall, cpu = {label: [] for label in runs}, {label: [] for label in runs}
    for _ in range(RENDERS):
        for label, (breaks, cold) in runs.items():
            use(breaks)
            if cold:
                thai_breaks._cached_unbreakable_spans.cache_clear()
                thai_breaks._cached_pango_ranges.cache_clear()
            milliseconds, cpu_milliseconds, _ = timed(seed_pdf)
            wall[label].append(milliseconds)
            cpu[label].append(cpu_milliseconds)
    print(f"seed sheet PDF, warm, medians of {RENDERS} renders, interleaved:")
    base_wall, base_cpu = statistics.median(wall[next(iter(runs))]), statistics.median(cpu[next(iter(runs))])
    for label in runs:
        median_wall, median_cpu = statistics.median(wall[label]), statistics.median(cpu[label])
        print(
            f"  {label:<26} wall {median_wall:6.1f} ms ({median_wall / base_wall:.2f}x)   "
            f"CPU {median_cpu:6.1f} ms ({median_cpu / base_cpu:.2f}x)"
        )

    # The segmentation alone: every text WeasyPrint lays out for the seed sheet.
    texts = []
    use(ICU)
    original = thai_breaks.pango_ranges
    thai_breaks.pango_ranges = lambda text, lang: texts.append(text) or original(text, lang)
    seed_pdf()
    thai_breaks.pango_ranges = original
    thai_texts = [text for text in texts if thai_breaks.THAI.search(text)]
    _, segmentation, _ = timed(lambda: [thai_breaks._unbreakable_spans(text) for text in thai_texts])
    _, comparison, _ = timed(lambda: [thai_breaks._pango_ranges(text, "th") for text in thai_texts])
    print(
        f"  of which, uncached, for the {len(thai_texts)} Thai texts laid out "
        f"({len(set(thai_texts))} distinct, {sum(map(len, thai_texts))} characters): "
        f"ICU segmentation {segmentation:.1f} ms CPU, "
        f"with Pango's breaks to compare {comparison:.1f} ms"
    )

    for label, breaks in (("libthai", LIBTHAI), ("ICU", ICU)):
        use(breaks)
        layout, checked, mid_word, list_numbers, overflows = 0.0, 0, 0, 0, 0
        for html in [seed_html, *htmls]:
            _, cpu_milliseconds, rendered = timed(lambda html=html: render(html))
            layout += cpu_milliseconds
            found = line_breaks(rendered)
            checked += found[0]
            mid_word += len(found[1])
            list_numbers += len(found[2])
            overflows += len(found[3])
        print(
            f"seed + {len(htmls)} generated sheets, {label}: layout {layout / 1000:.1f} s CPU; "
            f"{checked} breaks inside unspaced Thai, {mid_word} mid-word (ICU), "
            f"{list_numbers} list numbers at a line end, {overflows} overflowing lines"
        )
    use(ICU)


if __name__ == "__main__":
    try:
        main()
    finally:
        DATABASE.unlink(missing_ok=True)
        DATABASE.parent.rmdir()
