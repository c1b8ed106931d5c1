"""Assembling a book: cover and table of contents, then the rendered sheets, in one
PDF whose outline mirrors the contents.

The assembling worker holds a lease on the book, renewed between steps; if it dies,
the lease runs out and the assembly is queued again for any worker (``recovery``). A
worker that lost its lease drops its copy: only the lease holder saves the book."""

import ctypes
import gc
import io
import logging
import re
import shutil
import tempfile
from datetime import timedelta
from itertools import groupby
from pathlib import Path

import pikepdf
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override

from indicators.people import display_name
from reports import workers
from reports.books.ordering import fail_book
from reports.books.stamping import BookStamps, printed_footer
from reports.books.writing import BookWriter, OutlineEntry
from reports.models import Book, SheetRender
from reports.printing.fingerprint import fingerprint
from reports.printing.render import html_to_pdf

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# The lease is renewed between steps, and every so many sheets while they are merged.
RENEW_EVERY_SHEETS = 100


def _libc():
    """glibc, where there is one (its malloc_trim: see release_memory). Loaded by name, not
    found with ctypes.util.find_library, which runs /sbin/ldconfig in a subprocess: that
    failed once in a gunicorn worker being stopped, and the import with it (a 500)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


LIBC = _libc()
# Covers and contents already rendered, by content (see front_matter).
FRONT_MATTER_DIR = "books/front"


def front_matter_pdf(book: Book, entries, first_pages=None) -> tuple[bytes, int]:
    """Cover and table of contents; ``first_pages`` are the sheets' page numbers."""
    return html_to_pdf(front_matter_html(book, entries, first_pages))


def front_matter_html(book: Book, entries, first_pages=None) -> str:
    rows = []
    for index, (_render, indicator) in enumerate(entries):
        rows.append(
            {
                "indicator": indicator,
                "page": first_pages[index] if first_pages else "",
            }
        )
    groups = [(unit, list(items)) for unit, items in groupby(rows, key=lambda row: row["indicator"].org_unit)]
    return render_to_string(
        "reports/book_front.html",
        {
            "book": book,
            "title": cover_title(book.title),
            "groups": groups,
            "sheet_count": len(entries),
            # The day only: every page's footer has the time, and the front matter
            # stays the same (and is reused, see front_matter) all day.
            "printed_at": timezone.localdate(),
            "orderer": display_name(book.ordered_by),
        },
    )


def cover_title(title: str) -> str:
    """The book's title for its cover, its fiscal year ("ปีงบประมาณ 2569") kept on one line (a span that
    does not wrap: nothing is inserted into the text)."""
    prefix = _("Fiscal year %(year)s").split("%(year)s")[0]
    phrase = re.compile(re.escape(escape(prefix)) + r"\d{4}")
    return mark_safe(phrase.sub(lambda match: f'<span class="nowrap">{match[0]}</span>', escape(title)))


def sheet_first_pages(front_pages: int, entries) -> list[int]:
    first_pages, page = [], front_pages + 1
    for render, _indicator in entries:
        first_pages.append(page)
        page += render.page_count
    return first_pages


def front_matter(book: Book, entries) -> tuple[bytes, int, list[int]]:
    """Cover and contents, their page count, and the page where each sheet starts.

    The contents' length decides where the sheets start, and their page numbers, in a
    column of fixed width, do not change that length: it is learnt from a render without
    numbers the first time a content is seen, and kept (``FRONT_MATTER_DIR/<key>.pages``),
    so that the same selection ordered again, with sheets that grew or shrank, renders
    its contents once, with the new numbers (again only if the length came out otherwise).
    The result is kept too, keyed by the content and the sheets' page counts, and a book
    with the same cover and contents (the same selection rebuilt the same day after
    changes that kept page counts) reuses it without rendering.
    """
    html = front_matter_html(book, entries)
    content_key = fingerprint(html)
    counts = ",".join(str(render.page_count) for render, _indicator in entries)
    name = f"{FRONT_MATTER_DIR}/{fingerprint(html + counts)}.pdf"
    storage = Book._meta.get_field("file").storage
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            front = handle.read()
        with pikepdf.open(io.BytesIO(front)) as pdf:
            front_pages = len(pdf.pages)
        return front, front_pages, sheet_first_pages(front_pages, entries)
    length_name = f"{FRONT_MATTER_DIR}/{content_key}.pages"
    known = front_pages = known_length(storage, length_name)
    if front_pages is None:
        _front, front_pages = html_to_pdf(html)
    for _attempt in range(3):
        renew_lease(book)
        first_pages = sheet_first_pages(front_pages, entries)
        front, pages = front_matter_pdf(book, entries, first_pages)
        if pages == front_pages:
            break
        front_pages = pages
    release_memory()  # the contents' layout, some 200 MB for a fiscal year
    storage.save(name, ContentFile(front))
    if known != front_pages:
        if known is not None:
            storage.delete(length_name)
        storage.save(length_name, ContentFile(str(front_pages).encode()))
    return front, front_pages, first_pages


def known_length(storage, name: str) -> int | None:
    """The front matter's page count kept under ``name``, if any (and readable)."""
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        text = handle.read().decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def group_label(unit, year) -> str:
    return _("%(unit)s · fiscal year %(year)s") % {"unit": f"{unit.code} {unit.name}", "year": year}


class AssemblyLeft(Exception):
    """This worker's assembly lease was taken over by another worker."""


def claim_assembly(book_id: int, worker: str) -> Book | None:
    """Take the book's assembly if nobody holds it, its holder's lease ran out, or the
    holder is this worker's previous life; None when a live worker has it or it is done."""
    now = timezone.now()
    claimable = Q(assembler="") | Q(assembly_lease_until__lt=now)
    if worker:
        claimable |= Q(assembler=worker)
    claimed = (
        Book.objects.filter(pk=book_id, status=Book.Status.ASSEMBLING)
        .filter(claimable)
        .update(
            assembler=worker,
            assembly_lease_until=now + timedelta(seconds=settings.BOOK_CHUNK_LEASE_SECONDS),
            assembly_attempts=F("assembly_attempts") + 1,
        )
    )
    return Book.objects.select_related("ordered_by").get(pk=book_id) if claimed else None


def renew_lease(book: Book) -> None:
    """Renew this worker's lease on the assembly; AssemblyLeft when another took it over."""
    workers.beat(book.assembler)
    renewed = Book.objects.filter(pk=book.pk, status=Book.Status.ASSEMBLING, assembler=book.assembler).update(
        assembly_lease_until=timezone.now() + timedelta(seconds=settings.BOOK_CHUNK_LEASE_SECONDS)
    )
    if not renewed:
        logger.warning(
            "Book %d: this worker's assembly lease ran out and another worker took it over", book.pk
        )
        raise AssemblyLeft


def assemble(book_id: int, worker: str = "") -> str:
    book = claim_assembly(book_id, worker)
    if book is None:
        logger.debug("Book %d is not assembling, or another worker assembles it: skipped", book_id)
        return "skipped"
    if book.assembly_attempts > MAX_ATTEMPTS:
        fail_book(book.pk, _("Assembling the book failed %(count)d times.") % {"count": MAX_ATTEMPTS})
        return "failed"
    logger.info("Book %d: assembling %d sheets, attempt %d", book.pk, book.total, book.assembly_attempts)
    try:
        with override(settings.LANGUAGE_CODE):
            return assemble_book_pdf(book)
    except AssemblyLeft:
        return "lost lease"


def assemble_book_pdf(book: Book) -> str:
    render_ids = [pk for chunk in book.chunks.order_by("index") for pk in chunk.render_ids]
    renders = SheetRender.objects.select_related("indicator__org_unit", "indicator__fiscal_year").in_bulk(
        render_ids
    )
    entries = [(renders[pk], renders[pk].indicator) for pk in render_ids]

    front, front_pages, first_pages = front_matter(book, entries)
    renew_lease(book)

    with tempfile.TemporaryDirectory(prefix="kpi-book-") as workdir:
        output = Path(workdir) / "book.pdf"
        total_pages = merge_book(book, front, front_pages, entries, first_pages, output, Path(workdir))
        with transaction.atomic():
            assembler = book.assembler
            book = Book.objects.select_for_update().get(pk=book.pk)
            if book.status != Book.Status.ASSEMBLING or book.assembler != assembler:
                logger.warning(
                    "Book %d: assembled by another worker meanwhile; this copy is dropped", book.pk
                )
                return "skipped"
            with output.open("rb") as handle:
                book.file.save(f"book-{book.pk}.pdf", File(handle), save=False)
            book.page_count = total_pages
            book.reused = book.chunks.aggregate(n=Sum("reused_count"))["n"] or 0
            book.status = Book.Status.DONE
            book.finished_at = timezone.now()
            book.assembly_lease_until = None
            book.save()
    logger.info("Book %d: ready, %d pages (%s)", book.pk, total_pages, book.file.name)
    return "done"


def spool(render: SheetRender, workdir: Path) -> tuple[Path, bool]:
    """The sheet's PDF as a local file, and whether it is a copy to remove after use: the
    storage's own file on a local disk, read where it is; from object storage (written by
    any worker on any machine) copied into this assembly's own temporary directory."""
    local = local_path(render)
    if local is not None:
        return local, False
    path = workdir / f"sheet-{render.pk}.pdf"
    with render.file.open("rb") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    return path, True


def local_path(render: SheetRender) -> Path | None:
    """The render's file on this machine's disk, if the storage keeps it there."""
    try:
        return Path(render.file.path)
    except NotImplementedError:  # object storage has no path
        return None


def merge_book(
    book: Book, front: bytes, front_pages: int, entries, first_pages, output: Path, workdir: Path
) -> int:
    """Front matter and sheets in one PDF (written to ``output``) whose outline mirrors
    the contents, each page after the cover with the book's footer; returns its page count.

    The ``BookWriter`` copies each sheet's pages, with every object they use, into the
    book's file as it goes, drawing the book's footer over each page: one sheet in memory
    at a time (read through the storage API into a temporary file, see ``spool``), nothing
    of the book but the objects' offsets.
    """
    total = front_pages + sum(render.page_count for render, _indicator in entries)
    footer = printed_footer(timezone.localtime(), display_name(book.ordered_by))
    stamps = BookStamps(footer, 2, total)  # every page but the cover
    writer = BookWriter(output)
    try:
        renew_lease(book)
        resources = writer.add_object(stamps.stamps, stamps.resources)

        def stamp(number: int) -> int | None:
            if number < stamps.numbers.start:
                return None
            return writer.add_form(stamps.content(number), stamps.bbox, resources)

        front_path = workdir / "front.pdf"
        front_path.write_bytes(front)
        writer.add_pages(front_path, stamp)
        front_path.unlink()
        for number, (render, _indicator) in enumerate(entries, start=1):
            path, copied = spool(render, workdir)
            writer.add_pages(path, stamp)
            if copied:
                path.unlink()
            if number % RENEW_EVERY_SHEETS == 0:
                renew_lease(book)
        renew_lease(book)
        outline = [OutlineEntry(_("Contents"), 1 if front_pages > 1 else 0)]
        group = None
        for (_render, indicator), first_page in zip(entries, first_pages, strict=True):
            if (indicator.org_unit_id, indicator.fiscal_year_id) != group:
                group = (indicator.org_unit_id, indicator.fiscal_year_id)
                outline[0].children.append(
                    OutlineEntry(group_label(indicator.org_unit, indicator.fiscal_year.year), first_page - 1)
                )
            outline[0].children[-1].children.append(
                OutlineEntry(f"{indicator.full_code} {indicator.name}", first_page - 1)
            )
        pages = len(writer.page_numbers)
        if pages != total:  # the stamps were numbered from the sheets' page counts
            raise RuntimeError(f"Book {book.pk}: {pages} pages written, {total} counted")
        writer.close(outline, {"/Title": book.title, "/Author": display_name(book.ordered_by)})
        renew_lease(book)
        return pages
    finally:
        writer.file.close()
        stamps.close()


def release_memory() -> None:
    """Give the memory of what was freed back to the system, so that the next step's
    peak does not stack on the last one's: Python keeps freed memory for reuse (and
    WeasyPrint's layout leaves reference cycles for the collector), glibc's malloc keeps
    freed pages until trimmed."""
    gc.collect()
    if LIBC is not None:
        LIBC.malloc_trim(0)
