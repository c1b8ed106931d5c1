"""A book's footer on every page after the cover: "printed … by …" and the book's own
page number ("หน้า 7 จาก 120"), the number its contents and outline give.

Sheets are rendered without a footer, so that their PDFs (and fingerprints) do not
depend on where in which book they land, nor on when and for whom it is printed. At
assembly one WeasyPrint render draws the footer once (with the sheets' page size and
@page rules, sheet.css) and then every page number as a line of text, dozens to a page:
laying out a line costs a fraction of a page (a fiscal year's book has some 7,000
pages). Each page number's text operators are then moved to the footer's baseline and,
with the footer, laid over its book page as a small form XObject (pikepdf) that shares
the render's fonts. The text is drawn by WeasyPrint, so what extractors read (and the
/ActualText of reports/printing/actual_text.py) is the text as written.
"""

import io
from decimal import Decimal

import pikepdf
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from indicators import thai
from reports.printing.quick_footer import Line, use_font
from reports.printing.render import html_to_pdf

STAMP_TEMPLATE = "reports/book_stamp.html"
# What sets the state that text is drawn with (colour, transparency) in WeasyPrint's output.
STATE_OPERATORS = {"gs", "rg", "RG", "g", "G", "k", "K", "cs", "CS", "sc", "scn", "SC", "SCN"}


def printed_footer(printed_at, printed_by: str) -> str:
    return _("Printed %(date)s by %(user)s") % {"date": thai.format_datetime(printed_at), "user": printed_by}


def page_label(number: int, total: int) -> str:
    return f"{_('Page')} {number} {_('of')} {total}"


def text_runs(page: pikepdf.Page):
    """(transform operators before the text, state operators, [runs]): a run is the
    operators of one piece of text, BT…ET, with the /ActualText span around it if any."""
    transforms, state, runs, current, depth = [], [], [], None, 0
    for instruction in pikepdf.parse_content_stream(page):
        operator = str(instruction.operator)
        if current is None:
            if operator == "cm" and not runs:
                transforms.append(instruction)
            elif operator in STATE_OPERATORS:
                state.append(instruction)
            elif operator in ("BDC", "BMC", "BT"):
                current, depth = [instruction], 1
            continue
        if operator in STATE_OPERATORS:
            state.append(instruction)
            continue
        current.append(instruction)
        if operator in ("BDC", "BMC", "BT"):
            depth += 1
        elif operator in ("EMC", "ET"):
            depth -= 1
            if depth == 0:
                runs.append(current)
                current = None
    return transforms, state, runs


def lines_of(run) -> list:
    """The run split into one run per line: WeasyPrint draws Latin lines in one BT…ET with a
    Tm per line (Thai ones each in their own, inside an /ActualText span). Each line keeps
    the font the text object set before it."""
    positions = [index for index, instruction in enumerate(run) if str(instruction.operator) == "Tm"]
    if len(positions) < 2 or str(run[0].operator) != "BT":
        return [run]
    begin, end = run[0], run[-1]
    font, lines = [], []
    for start, stop in zip(positions, [*positions[1:], len(run) - 1], strict=True):
        body = list(run[start:stop])
        lines.append([begin, *font, *body, end])
        font = [i for i in run[:stop] if str(i.operator) == "Tf"][-1:]
    return lines


def baseline(run) -> Decimal:
    return next(Decimal(str(i.operands[5])) for i in run if str(i.operator) == "Tm")


def moved(run, y: Decimal):
    """The run with its text matrices moved so that its first baseline is at ``y``."""
    shift = y - baseline(run)
    result = []
    for instruction in run:
        if str(instruction.operator) == "Tm":
            a, b, c, d, e, f = instruction.operands
            instruction = pikepdf.ContentStreamInstruction(
                [a, b, c, d, e, Decimal(str(f)) + shift], pikepdf.Operator("Tm")
            )
        result.append(instruction)
    return result


class BookStamps:
    """The book's footer and page numbers, rendered once; ``form(pdf, number)`` is the
    stamp of the page ``number`` as a form XObject of ``pdf``, sharing the render's fonts
    (copied to ``pdf`` once). ``close`` after the last ``pdf`` it stamped was saved."""

    def __init__(self, footer: str, first: int, total: int, quick: bool = True):
        self.numbers = range(first, total + 1)
        # The page numbers are drawn from HarfBuzz's shaping (printing/quick_footer.py) in
        # the place and font of the footer page's own number, as WeasyPrint would draw them;
        # WeasyPrint lays them out only if a character is missing from the font.
        footer_line = Line(footer)
        self.labels = [Line(page_label(number, total)) for number in self.numbers]
        last = Line(page_label(total, total))
        quick = quick and all(line.drawable for line in [footer_line, last, *self.labels])
        html = render_to_string(
            STAMP_TEMPLATE,
            {
                "footer_left": footer,
                "first_label": page_label(total, total),
                "labels": [] if quick else [page_label(number, total) for number in self.numbers],
            },
        )
        self.stamps = pikepdf.open(io.BytesIO(html_to_pdf(html)[0]))
        footer_page, *number_pages = self.stamps.pages
        transforms, state, runs = text_runs(footer_page)
        # The footer's page number is the rightmost run: its baseline is every number's.
        number_run = max(runs, key=lambda run: next(i.operands[4] for i in run if str(i.operator) == "Tm"))
        footer_runs = [run for run in runs if run is not number_run]
        self.y = baseline(number_run)
        fonts, graphics = pikepdf.Dictionary(), pikepdf.Dictionary()
        lines = []
        for page in [footer_page, *number_pages]:
            resources = page.obj.get("/Resources", pikepdf.Dictionary())
            for name, font in resources.get("/Font", {}).items():
                fonts[name] = font
            for name, value in resources.get("/ExtGState", {}).items():
                graphics[name] = value
            if page is not footer_page:
                _transforms, line_state, page_runs = text_runs(page)
                state += line_state
                lines += [line for run in page_runs for line in lines_of(run)]
        if quick:
            self.number_run = number_run
            font_name, font_size = next(i.operands for i in number_run if str(i.operator) == "Tf")
            self.font_size = float(font_size)
            tm = next(i.operands for i in number_run if str(i.operator) == "Tm")
            self.right = float(tm[4]) + last.width(self.font_size)  # the numbers are right-aligned
            use_font(self.stamps, fonts[str(font_name)], [footer_line, last, *self.labels])
        else:
            self.number_run = None
            assert len(lines) == len(self.numbers), (len(lines), len(self.numbers))
        self.lines = lines
        self.resources = self.stamps.make_indirect(pikepdf.Dictionary(Font=fonts, ExtGState=graphics))
        self.bbox = footer_page.mediabox
        head = [pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")), *transforms, *state]
        for run in footer_runs:
            head += run
        self.head = pikepdf.unparse_content_stream(head)

    def number(self, number: int) -> bytes:
        """The operators that draw the page number ``number`` on the footer's baseline."""
        if self.number_run is None:
            return pikepdf.unparse_content_stream(moved(self.lines[number - self.numbers.start], self.y))
        line = self.labels[number - self.numbers.start]
        operators, shown = [], False
        for instruction in self.number_run:
            operator = str(instruction.operator)
            if operator in ("BDC", "BMC", "EMC"):
                continue  # line.marked() gives the line its own /ActualText
            if operator == "Tm":
                a, b, c, d, _e, _f = instruction.operands
                x = self.right - line.width(self.font_size)
                operators.append(f"{a} {b} {c} {d} {x} {self.y} Tm")
            elif operator in ("TJ", "Tj", "Ts", "'", '"'):
                if not shown:
                    operators.append(line.show_text(self.font_size))
                    shown = True
            else:
                operators.append(pikepdf.unparse_content_stream([instruction]).decode("latin-1"))
        return line.marked("\n".join(operators)).encode("latin-1")

    def content(self, number: int) -> bytes:
        """What the stamp of page ``number`` draws: the footer and the page number."""
        return self.head + b"\n" + self.number(number) + b"\nQ"

    def form(self, pdf: pikepdf.Pdf, number: int) -> pikepdf.Stream:
        form = pikepdf.Stream(pdf, self.content(number))
        form.Type = pikepdf.Name.XObject
        form.Subtype = pikepdf.Name.Form
        form.BBox = pikepdf.Array(list(self.bbox))
        form.Resources = pdf.copy_foreign(self.resources)
        return form

    def close(self) -> None:
        self.stamps.close()
