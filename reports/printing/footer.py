"""Who printed a sheet and when, stamped on a PDF rendered without it.

A sheet's body (everything but the footer's "printed ... by ...") changes only with
its content, so it can be rendered once and kept (reports/sheet_pdf.py); each print
then gets its own footer. The footer is rendered by WeasyPrint like the rest, from the
sheet's own stylesheet, as a page with nothing but its bottom-left margin box: it lands
where a full render puts it, in the same font, with its /ActualText. That page is drawn
over each page of the body as one shared form XObject (pikepdf), and the PDF's author
(``<meta name="author">`` of a full render) set to the same user.
"""

import io
from functools import cache, lru_cache

import pikepdf
from django.template.loader import render_to_string

from reports.printing.quick_footer import REFERENCE, quick_footer
from reports.printing.render import html_to_pdf

FOOTER_TEMPLATE = "reports/indicator_pdf_footer.html"


def weasyprint_footer(footer_left: str) -> bytes:
    """A one-page PDF with ``footer_left`` in the sheet's bottom-left margin box and
    nothing else, rendered by WeasyPrint."""
    pdf, _pages = html_to_pdf(render_to_string(FOOTER_TEMPLATE, {"footer_left": footer_left}))
    return pdf


@lru_cache(maxsize=256)
def footer_pdf(footer_left: str) -> bytes:
    """``weasyprint_footer``, drawn without WeasyPrint where it can be (quick_footer).
    Cached: a user printing again within the minute gets the same text."""
    return quick_footer(footer_left, reference_footer()) or weasyprint_footer(footer_left)


@cache
def reference_footer() -> bytes:
    return weasyprint_footer(REFERENCE)


def stamp(body: bytes, footer_left: str, author: str) -> bytes:
    """``body`` with ``footer_left`` drawn at the foot of each page and ``author`` as its author."""
    # The footer stays open until the document is saved: qpdf copies a foreign
    # stream's data only when it writes.
    with (
        pikepdf.open(io.BytesIO(body)) as document,
        pikepdf.open(io.BytesIO(footer_pdf(footer_left))) as footer,
    ):
        form = document.copy_foreign(footer.pages[0].as_form_xobject())
        for page in document.pages:
            name = page.add_resource(form, pikepdf.Name.XObject, prefix="Footer")
            # The page's own drawing inside q ... Q: what it leaves of the graphics
            # state (WeasyPrint's flip of the y axis) must not move the footer.
            page.contents_add(document.make_stream(b"q\n"), prepend=True)
            page.contents_add(document.make_stream(f"\nQ\nq {name} Do Q\n".encode()), prepend=False)
        if author:
            document.docinfo[pikepdf.Name.Author] = pikepdf.String(author)
        output = io.BytesIO()
        document.save(output)
    return output.getvalue()
