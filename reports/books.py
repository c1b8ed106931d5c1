"""Books: one PDF of many detail sheets (a unit's, a fiscal year's), built in the
background.

A book is cut into chunks; each chunk is a task (reports/tasks.py) that renders
its sheets, reusing a sheet's earlier PDF when the sheet's content has not
changed (same fingerprint). A chunk holds a lease that its worker renews after
every sheet; a chunk whose lease ran out, or whose worker restarted, is handed
to another worker (``recover_stalled_chunks``), and the task its dead worker
left "running" is marked failed. A worker asked to stop hands its chunk back
after the current sheet (``hand_back``). Rendering a sheet twice is harmless,
and the book is assembled from the chunks' final lists, so every sheet appears
exactly once. The last chunk to finish queues the assembly: cover, table of
contents (also the PDF's outline), then the sheets.
"""

import hashlib
import io
import logging
import shutil
import tempfile
import time
from datetime import timedelta
from functools import cache
from itertools import groupby
from pathlib import Path
from traceback import format_exception_only
from types import SimpleNamespace

import pikepdf
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from weasyprint import HTML

from reports import thai_breaks, workers
from reports.models import Book, BookChunk, SheetRender
from reports.pdf import STATIC_DIR_URI, StaticOnlyFetcher, font_configuration
from reports.sheet import build_sheet, sheet_queryset

logger = logging.getLogger(__name__)

SHEET_TEMPLATE = "reports/indicator_pdf.html"
MAX_ATTEMPTS = 3

# Set by book_worker's SIGTERM/SIGINT handler, read before each sheet. A plain
# attribute, not a threading.Event: a signal handler must not take a lock that the
# code it interrupted may hold.
worker_stop = SimpleNamespace(requested=False)


class WorkerLost(Exception):
    """Recorded in the task table for a task whose worker died while running it."""


@cache
def assets_version() -> str:
    """A hash of what shapes a sheet's PDF besides its HTML: stylesheets, fonts, Thai line breaks."""
    digest = hashlib.sha256(thai_breaks.version().encode())
    static = settings.BASE_DIR / "static"
    for path in sorted([*(static / "css").glob("*.css"), *(static / "fonts").glob("*.ttf")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def book_sheet_html(sheet) -> str:
    """The sheet as printed in a book: no print date or user (the cover has them),
    so the HTML, and its fingerprint, change only when the sheet's content does."""
    indicator = sheet.indicator
    unit = indicator.org_unit
    context = {
        "sheet": sheet,
        "printed_by": "",
        "header_left": f"{unit.code} {unit.name}",
        "header_right": _("Indicator %(code)s · Fiscal year %(year)s")
        % {"code": indicator.full_code, "year": indicator.fiscal_year.year},
        "footer_left": "",
        "page_label": _("Page"),
        "of_label": _("of"),
    }
    return render_to_string(SHEET_TEMPLATE, context)


def fingerprint(html: str) -> str:
    return hashlib.sha256(assets_version().encode() + html.encode()).hexdigest()


def html_to_pdf(html: str) -> tuple[bytes, int]:
    document = HTML(string=html, base_url=STATIC_DIR_URI, url_fetcher=StaticOnlyFetcher()).render(
        font_config=font_configuration()
    )
    return document.write_pdf(), len(document.pages)


@transaction.atomic
def order_book(user, indicator_ids: list[int], title: str, description: str = "", query: str = "") -> Book:
    """Create a book of ``indicator_ids`` (in that order) and queue its chunks."""
    from reports.tasks import render_book_chunk

    size = settings.BOOK_CHUNK_SIZE
    book = Book.objects.create(
        title=title[:300],
        description=description[:500],
        query=query[:1000],
        indicator_ids=indicator_ids,
        ordered_by=user,
        total=len(indicator_ids),
        status=Book.Status.RENDERING,
    )
    chunks = BookChunk.objects.bulk_create(
        BookChunk(book=book, index=index, indicator_ids=indicator_ids[start : start + size])
        for index, start in enumerate(range(0, len(indicator_ids), size))
    )
    for chunk in BookChunk.objects.filter(book=book).order_by("index") if chunks else []:
        render_book_chunk.enqueue(chunk.pk)
    if not chunks:
        queue_assembly(book.pk)
    return book


def claim_chunk(chunk_id: int, worker: str) -> BookChunk | None:
    """Take the chunk if it is pending, abandoned (lease ran out) or held by this
    worker's previous life; None when another live worker has it or it is done."""
    now = timezone.now()
    claimable = Q(status=BookChunk.Status.PENDING) | Q(status=BookChunk.Status.RUNNING, lease_until__lt=now)
    if worker:
        claimable |= Q(status=BookChunk.Status.RUNNING, worker=worker)
    claimed = (
        BookChunk.objects.filter(pk=chunk_id)
        .filter(claimable)
        .update(
            status=BookChunk.Status.RUNNING,
            worker=worker,
            lease_until=now + timedelta(seconds=settings.BOOK_CHUNK_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            # done_count is kept: the sheets already done are reused, and the book's
            # progress, the sum of its chunks' counts, must not move backwards.
            reused_count=0,
        )
    )
    return BookChunk.objects.select_related("book").get(pk=chunk_id) if claimed else None


def render_sheet(indicator, existing: dict) -> tuple[SheetRender, bool]:
    """The sheet's PDF: the stored one if its content is unchanged, else a new render."""
    html = book_sheet_html(build_sheet(indicator))
    key = fingerprint(html)
    render = existing.get((indicator.pk, key))
    if render is not None and render.file.storage.exists(render.file.name):
        return render, True
    pdf, pages = html_to_pdf(html)
    render = SheetRender(indicator=indicator, fingerprint=key, page_count=pages)
    render.file.save(
        f"{indicator.org_unit.code}-{indicator.code}-{key[:16]}.pdf", ContentFile(pdf), save=False
    )
    try:
        with transaction.atomic():
            render.save()
    except IntegrityError:
        # Another worker rendered the same content meanwhile: use theirs.
        render.file.delete(save=False)
        render = SheetRender.objects.get(indicator=indicator, fingerprint=key)
    return render, False


def render_chunk(chunk_id: int, worker: str) -> str:
    # Workers run as management commands, with no language active: sheets are Thai.
    with override(settings.LANGUAGE_CODE):
        outcome = render_claimed_chunk(chunk_id, worker)
    # Any worker, even a plain db_worker, hands on chunks whose worker died.
    recover_stalled_chunks()
    return outcome


def chunk_label(chunk: BookChunk) -> str:
    """How the log names a chunk: "Book 12 part 2/3 (25 sheets)"."""
    parts = BookChunk.objects.filter(book_id=chunk.book_id).count()
    return f"Book {chunk.book_id} part {chunk.index + 1}/{parts} ({len(chunk.indicator_ids)} sheets)"


def render_claimed_chunk(chunk_id: int, worker: str) -> str:
    chunk = claim_chunk(chunk_id, worker)
    if chunk is None:
        logger.debug("Book chunk %d is done or held by another worker: skipped", chunk_id)
        return "skipped"
    label = chunk_label(chunk)
    if chunk.attempts > MAX_ATTEMPTS:
        logger.error("%s: failed %d times, so the book fails", label, MAX_ATTEMPTS)
        fail_book(chunk.book_id, _("A part of the book failed %(count)d times.") % {"count": MAX_ATTEMPTS})
        return "failed"
    logger.info("%s: rendering, attempt %d", label, chunk.attempts)
    started = time.monotonic()
    queryset = sheet_queryset().select_related("annual_summary").filter(pk__in=chunk.indicator_ids)
    indicators = {indicator.pk: indicator for indicator in queryset}
    existing = {
        (render.indicator_id, render.fingerprint): render
        for render in SheetRender.objects.filter(indicator_id__in=chunk.indicator_ids)
    }
    render_ids, reused = [], 0
    for number, pk in enumerate(chunk.indicator_ids, start=1):
        if worker_stop.requested:
            if hand_back(chunk, worker):
                logger.info(
                    "%s: handed back after %d sheets as this worker is stopping; any worker takes it now",
                    label,
                    number - 1,
                )
            return "handed back"
        indicator = indicators.get(pk)
        if indicator is not None:  # an indicator deleted since the order is left out
            render, was_reused = render_sheet(indicator, existing)
            render_ids.append(render.pk)
            reused += was_reused
        workers.beat(worker)
        still_ours = BookChunk.objects.filter(
            pk=chunk.pk, worker=worker, status=BookChunk.Status.RUNNING
        ).update(
            done_count=Greatest("done_count", Value(number)),
            reused_count=reused,
            lease_until=timezone.now() + timedelta(seconds=settings.BOOK_CHUNK_LEASE_SECONDS),
        )
        if not still_ours:
            logger.warning("%s: this worker's lease ran out and another worker took it over", label)
            return "lost lease"
    with transaction.atomic():
        finished = BookChunk.objects.filter(
            pk=chunk.pk, worker=worker, status=BookChunk.Status.RUNNING
        ).update(status=BookChunk.Status.DONE, render_ids=render_ids, lease_until=None)
        if not finished:
            logger.warning("%s: this worker's lease ran out and another worker took it over", label)
            return "lost lease"
        book = Book.objects.select_for_update().get(pk=chunk.book_id)
        last = (
            book.status == Book.Status.RENDERING
            and not book.chunks.exclude(status=BookChunk.Status.DONE).exists()
        )
        if last:
            book.status = Book.Status.ASSEMBLING
            book.save(update_fields=["status"])
            # The task is a row in this same database: it becomes visible on commit.
            queue_assembly(book.pk)
    logger.info(
        "%s: done in %.1f s (%d sheets rendered, %d unchanged and reused)%s",
        label,
        time.monotonic() - started,
        len(render_ids) - reused,
        reused,
        "; it was the last part, the book's assembly is queued" if last else "",
    )
    return "done"


def queue_assembly(book_id: int) -> None:
    from reports.tasks import assemble_book

    assemble_book.enqueue(book_id)


def requeue(chunks, chunk_id: int, **changes) -> bool:
    """Make the running chunk selected by ``chunks`` pending again, with a new task
    for it; False when the selection no longer matches (someone else moved it)."""
    from reports.tasks import render_book_chunk

    with transaction.atomic():
        released = chunks.update(status=BookChunk.Status.PENDING, worker="", lease_until=None, **changes)
        if released:
            render_book_chunk.enqueue(chunk_id)
    return bool(released)


def hand_back(chunk: BookChunk, worker: str) -> bool:
    """Queue ``worker``'s chunk again at once because the worker is stopping. Not a
    failed attempt; the sheets it did are reused by whoever takes the chunk."""
    held = BookChunk.objects.filter(pk=chunk.pk, status=BookChunk.Status.RUNNING, worker=worker)
    return requeue(held, chunk.pk, attempts=F("attempts") - 1)


def recover_stalled_chunks(worker: str = "") -> int:
    """Queue again the chunks whose worker died: lease run out, or held by ``worker``,
    which calls this between tasks and so holds nothing now (it has restarted).
    Returns how many."""
    now = timezone.now()
    stalled = Q(lease_until__lt=now)
    if worker:
        stalled |= Q(worker=worker)
    recovered = 0
    for chunk in BookChunk.objects.filter(status=BookChunk.Status.RUNNING).filter(stalled):
        held = BookChunk.objects.filter(
            pk=chunk.pk, status=BookChunk.Status.RUNNING, worker=chunk.worker, lease_until=chunk.lease_until
        )
        if requeue(held, chunk.pk):
            recovered += 1
            logger.warning(
                "%s: queued again, as its worker %r %s",
                chunk_label(chunk),
                chunk.worker,
                "has restarted" if chunk.worker == worker else "stopped renewing its lease",
            )
            fail_abandoned_tasks(chunk.worker, chunk_id=chunk.pk)
    if worker:
        fail_abandoned_tasks(worker)
    return recovered


def fail_abandoned_tasks(worker: str, chunk_id: int | None = None) -> int:
    """Mark failed the tasks that ``worker`` was running when it died (those of
    ``chunk_id``, or all), so that the task table does not show them running forever."""
    from reports.tasks import render_book_chunk

    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    if chunk_id is not None:
        running = running.filter(task_path=render_book_chunk.module_path)
    abandoned = [
        task.pk
        for task in running.only("worker_ids", "args_kwargs")
        if task.worker_ids
        and task.worker_ids[-1] == worker
        and (chunk_id is None or task.args_kwargs.get("args") == [chunk_id])
    ]
    if not abandoned:
        return 0
    error = WorkerLost(f"worker {worker!r} stopped (killed or lost) while running this task")
    failed = DBTaskResult.objects.filter(pk__in=abandoned, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="".join(format_exception_only(error)),
    )
    if failed:
        logger.warning(
            "Marked failed %d task(s) that worker %r left running: %s",
            failed,
            worker,
            ", ".join(str(pk) for pk in abandoned),
        )
    return failed


def progress(book: Book) -> int:
    """Sheets rendered or reused so far. It never decreases: a chunk taken back keeps
    its count, and its sheets already done are reused."""
    if book.status == Book.Status.DONE:
        return book.total
    return book.chunks.aggregate(n=Sum("done_count"))["n"] or 0


def fail_book(book_id: int, message: str) -> None:
    logger.error("Book %d failed: %s", book_id, message)
    Book.objects.filter(pk=book_id).exclude(status=Book.Status.DONE).update(
        status=Book.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def front_matter_pdf(book: Book, entries, first_pages=None) -> tuple[bytes, int]:
    """Cover and table of contents; ``first_pages`` are the sheets' page numbers."""
    rows = []
    for index, (_render, indicator) in enumerate(entries):
        rows.append(
            {
                "indicator": indicator,
                "page": first_pages[index] if first_pages else "",
            }
        )
    groups = [(unit, list(items)) for unit, items in groupby(rows, key=lambda row: row["indicator"].org_unit)]
    html = render_to_string(
        "reports/book_front.html",
        {
            "book": book,
            "groups": groups,
            "sheet_count": len(entries),
            "printed_at": timezone.localtime(),
            "orderer": book.ordered_by.get_full_name() or book.ordered_by.get_username(),
        },
    )
    return html_to_pdf(html)


def group_label(unit, year) -> str:
    return _("%(unit)s · fiscal year %(year)s") % {"unit": f"{unit.code} {unit.name}", "year": year}


def assemble(book_id: int) -> str:
    book = Book.objects.select_related("ordered_by").get(pk=book_id)
    if book.status != Book.Status.ASSEMBLING:
        return "skipped"
    logger.info("Book %d: assembling %d sheets", book.pk, book.total)
    with override(settings.LANGUAGE_CODE):
        return assemble_book_pdf(book)


def assemble_book_pdf(book: Book) -> str:
    render_ids = [pk for chunk in book.chunks.order_by("index") for pk in chunk.render_ids]
    renders = SheetRender.objects.select_related("indicator__org_unit", "indicator__fiscal_year").in_bulk(
        render_ids
    )
    entries = [(renders[pk], renders[pk].indicator) for pk in render_ids]

    # The table of contents' length decides where the sheets start: render it once
    # without page numbers to learn it, then with them.
    front, front_pages = front_matter_pdf(book, entries)
    for _attempt in range(3):
        first_pages, page = [], front_pages + 1
        for render, _indicator in entries:
            first_pages.append(page)
            page += render.page_count
        front, pages = front_matter_pdf(book, entries, first_pages)
        if pages == front_pages:
            break
        front_pages = pages

    with tempfile.TemporaryDirectory(prefix="kpi-book-") as workdir:
        output = Path(workdir) / "book.pdf"
        total_pages = merge_book(book, front, front_pages, entries, first_pages, output, Path(workdir))
        with transaction.atomic():
            book = Book.objects.select_for_update().get(pk=book.pk)
            if book.status != Book.Status.ASSEMBLING:
                return "skipped"
            with output.open("rb") as handle:
                book.file.save(f"book-{book.pk}.pdf", File(handle), save=False)
            book.page_count = total_pages
            book.reused = book.chunks.aggregate(n=Sum("reused_count"))["n"] or 0
            book.status = Book.Status.DONE
            book.finished_at = timezone.now()
            book.save()
    logger.info("Book %d: ready, %d pages (%s)", book.pk, total_pages, book.file.name)
    return "done"


def spool(render: SheetRender, workdir: Path) -> Path:
    """The sheet's PDF copied from the storage (local disk or object storage, written by
    any worker on any machine) into this assembly's own temporary directory."""
    path = workdir / f"sheet-{render.pk}.pdf"
    with render.file.open("rb") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    return path


def merge_book(
    book: Book, front: bytes, front_pages: int, entries, first_pages, output: Path, workdir: Path
) -> int:
    """Front matter and sheets in one PDF (written to ``output``) whose outline mirrors
    the contents; returns its page count.

    qpdf (pikepdf) copies pages without parsing their content: for a fiscal year's
    book (2,450 sheets) it merges in seconds where pypdf took a minute. Sheets are
    read through the storage API into temporary files, and the book is written to a
    file: memory holds the page structures, not every sheet's bytes.
    """
    sources = []
    try:
        book_pdf = pikepdf.new()
        sources.append(pikepdf.open(io.BytesIO(front)))
        book_pdf.pages.extend(sources[-1].pages)
        for render, _indicator in entries:
            sources.append(pikepdf.open(spool(render, workdir)))
            book_pdf.pages.extend(sources[-1].pages)
        with book_pdf.open_outline() as outline:
            contents = pikepdf.OutlineItem(_("Contents"), 1 if front_pages > 1 else 0)
            outline.root.append(contents)
            group_item, group = None, None
            for (_render, indicator), first_page in zip(entries, first_pages, strict=True):
                if (indicator.org_unit_id, indicator.fiscal_year_id) != group:
                    group = (indicator.org_unit_id, indicator.fiscal_year_id)
                    group_item = pikepdf.OutlineItem(
                        group_label(indicator.org_unit, indicator.fiscal_year.year), first_page - 1
                    )
                    contents.children.append(group_item)
                group_item.children.append(
                    pikepdf.OutlineItem(f"{indicator.full_code} {indicator.name}", first_page - 1)
                )
        book_pdf.docinfo["/Title"] = book.title
        book_pdf.docinfo["/Author"] = book.ordered_by.get_full_name() or book.ordered_by.get_username()
        book_pdf.save(output)
        return len(book_pdf.pages)
    finally:
        for source in sources:
            source.close()
