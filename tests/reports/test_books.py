"""Books: many sheets in one PDF, built in the background in chunks."""

import datetime
import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from indicators.models import Indicator, Role
from reports.books import assembly, ordering, recovery, rendering
from reports.books.stamping import BookStamps, printed_footer
from reports.models import Book, BookChunk, SheetRender
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user
from tests.reports.test_printing import word_boxes


@pytest.fixture
def registry(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BOOK_CHUNK_SIZE = 2
    year = make_fiscal_year(2568)
    units = [make_unit(f"50{n:02d}", f"สำนักงานเขตทดสอบ {n}") for n in (1, 2, 3)]
    for unit in units:
        for sequence in (1, 2):
            indicator = make_indicator(
                year, unit, sequence=sequence, name=f"ตัวชี้วัด {unit.code} ลำดับ {sequence}"
            )
            make_report(indicator, 1, "10", f"รายงานผลของ {unit.code}-{indicator.code}")
    return {
        "executive": make_user("exec", Role.EXECUTIVE, first_name="ผู้บริหาร"),
        "indicators": list(Indicator.objects.for_list()),
    }


def order(registry, indicators=None):
    indicators = registry["indicators"] if indicators is None else indicators
    return ordering.order_book(registry["executive"], [i.pk for i in indicators], "สมุดทดสอบ")


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    # db_worker closes "old" database connections between tasks, which in-process
    # would close the test's own connection; worker processes are tested below.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_workers(worker_id="worker-test"):
    call_command("book_worker", once=True, worker_id=worker_id, verbosity=0)


def outline_titles(reader):
    """[(depth, title, page number)] of the PDF's bookmarks."""
    result = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                result.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return result


def test_a_book_has_a_cover_contents_and_every_sheet_once(registry):
    book = order(registry)
    assert book.chunks.count() == 3  # 6 sheets in chunks of 2
    run_workers()
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    reader = PdfReader(book.file.path)
    renders = SheetRender.objects.all()
    assert renders.count() == 6
    sheet_pages = sum(render.page_count for render in renders)
    assert len(reader.pages) == book.page_count == 2 + sheet_pages  # cover, contents, sheets

    outline = outline_titles(reader)
    assert outline[0][:2] == (0, "สารบัญ")
    sheets = [(title, page) for depth, title, page in outline if depth == 2]
    expected = [f"{i.full_code} {i.name}" for i in registry["indicators"]]
    assert [title for title, _ in sheets] == expected  # each sheet once, in list order
    groups = [title for depth, title, _ in outline if depth == 1]
    assert groups == [
        f"{code} สำนักงานเขตทดสอบ {n} · ปีงบประมาณ 2568" for code, n in (("5001", 1), ("5002", 2), ("5003", 3))
    ]
    for (_title, page), indicator in zip(sheets, registry["indicators"], strict=True):
        # The bookmark lands on the sheet's first page, whose text names it.
        assert indicator.full_code in reader.pages[page - 1].extract_text()
    contents = reader.pages[1].extract_text()
    for indicator in registry["indicators"]:
        assert indicator.full_code in contents


def test_progress_moves_from_zero_to_done(registry, client):
    book = order(registry)
    client.force_login(registry["executive"])
    url = reverse("book_detail", args=[book.pk])
    assert ordering.progress(book) == 0
    assert 'value="0"' in client.get(url).text
    first_chunk = book.chunks.get(index=0)
    assert rendering.render_chunk(first_chunk.pk, "w1") == "done"
    assert ordering.progress(book) == 2
    page = client.get(url).text
    assert 'max="6" value="2"' in page and 'http-equiv="refresh"' in page
    run_workers()
    book.refresh_from_db()
    assert book.status == Book.Status.DONE and ordering.progress(book) == 6
    page = client.get(url).text
    assert 'value="6"' in page and reverse("book_download", args=[book.pk]) in page
    download = client.get(reverse("book_download", args=[book.pk]))
    assert download["Content-Type"] == "application/pdf"


def test_sheets_whose_files_were_lost_are_rendered_again(registry):
    """Renders whose files are gone (storage lost, or a database restored without them):
    the next book renders them again into the same rows, and is whole."""
    order(registry)
    run_workers()
    renders = list(SheetRender.objects.all())
    assert len(renders) == 6
    for render in renders:
        render.file.storage.delete(render.file.name)
    again = order(registry)
    run_workers()
    again.refresh_from_db()
    assert again.status == Book.Status.DONE, again.error
    assert SheetRender.objects.count() == 6
    assert all(render.file.storage.exists(render.file.name) for render in SheetRender.objects.all())
    reader = PdfReader(again.file.path)
    assert len(reader.pages) == again.page_count
    assert registry["indicators"][5].name in "".join(page.extract_text() for page in reader.pages)


def test_unchanged_sheets_are_reused(registry):
    first = order(registry)
    run_workers()
    renders = {r.pk: r.rendered_at for r in SheetRender.objects.all()}
    second = order(registry)
    run_workers()
    second.refresh_from_db()
    assert second.status == Book.Status.DONE and second.reused == 6
    assert {r.pk: r.rendered_at for r in SheetRender.objects.all()} == renders  # nothing rendered again

    changed = registry["indicators"][3]
    report = changed.reports.get(quarter=1)
    report.narrative = "ข้อความแก้ไขแล้ว"
    report.save()
    third = order(registry)
    run_workers()
    third.refresh_from_db()
    assert third.reused == 5
    assert SheetRender.objects.count() == 7
    assert SheetRender.objects.filter(indicator=changed).count() == 2
    assert first.pk != third.pk and PdfReader(third.file.path).pages


def test_a_dead_workers_chunk_is_redone_after_its_lease_runs_out(registry):
    book = order(registry)
    chunk = book.chunks.get(index=1)
    # A worker took chunk 1, rendered one sheet, and died.
    assert rendering.claim_chunk(chunk.pk, "dead-worker") is not None
    BookChunk.objects.filter(pk=chunk.pk).update(done_count=1)
    run_workers("live-worker")
    book.refresh_from_db()
    assert book.status == Book.Status.RENDERING  # chunk 1 is still leased to the dead worker
    assert BookChunk.objects.filter(book=book, status=BookChunk.Status.DONE).count() == 2
    BookChunk.objects.filter(pk=chunk.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    run_workers("live-worker")
    book.refresh_from_db()
    assert book.status == Book.Status.DONE
    titles = [title for depth, title, _ in outline_titles(PdfReader(book.file.path)) if depth == 2]
    assert titles == [f"{i.full_code} {i.name}" for i in registry["indicators"]]


def chunk_task(chunk) -> DBTaskResult:
    """The task (row of django-tasks-db's table) queued for ``chunk`` when the book was ordered."""
    (task,) = [
        task
        for task in DBTaskResult.objects.filter(task_path="reports.tasks.render_book_chunk")
        if task.args_kwargs["args"] == [chunk.pk]
    ]
    return task


def test_a_restarted_worker_takes_its_chunks_back_at_once(registry):
    book = order(registry)
    chunk = book.chunks.get(index=0)
    task = chunk_task(chunk)
    task.claim("worker-1")
    assert rendering.claim_chunk(chunk.pk, "worker-1") is not None  # then the process was killed
    run_workers("worker-1")  # the same worker, restarted
    book.refresh_from_db()
    assert book.status == Book.Status.DONE
    assert BookChunk.objects.get(pk=chunk.pk).attempts == 2
    # The killed run is not left "running" in the task table.
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and "worker-1" in task.traceback


def test_a_dead_workers_task_is_marked_failed_when_its_chunk_is_recovered(registry):
    book = order(registry)
    chunk = book.chunks.get(index=1)
    task = chunk_task(chunk)
    task.claim("dead-worker")
    assert rendering.claim_chunk(chunk.pk, "dead-worker") is not None  # and the worker was never seen again
    BookChunk.objects.filter(pk=chunk.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    run_workers("live-worker")
    book.refresh_from_db()
    assert book.status == Book.Status.DONE
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "reports.books.WorkerLost" and "dead-worker" in task.traceback
    assert task.finished_at is not None


def test_progress_never_moves_backwards_when_a_chunk_is_taken_back(registry, monkeypatch):
    book = order(registry)
    chunk = book.chunks.get(index=0)
    # A worker took the first chunk, rendered one sheet, and died.
    assert rendering.claim_chunk(chunk.pk, "dead-worker") is not None
    BookChunk.objects.filter(pk=chunk.pk).update(done_count=1)
    samples = [ordering.progress(book)]
    BookChunk.objects.filter(pk=chunk.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert recovery.recover_stalled_chunks() == 1
    samples.append(ordering.progress(book))

    render_sheet = rendering.render_sheet

    def sampling_render_sheet(indicator, existing, content_key):
        samples.append(ordering.progress(book))  # what the book's page shows meanwhile
        return render_sheet(indicator, existing, content_key)

    monkeypatch.setattr(rendering, "render_sheet", sampling_render_sheet)
    run_workers("live-worker")
    book.refresh_from_db()
    samples.append(ordering.progress(book))
    assert book.status == Book.Status.DONE
    assert samples[0] == 1 and samples[-1] == 6 and len(samples) == 2 + 6 + 1
    assert samples == sorted(samples), samples


def test_a_signal_stops_the_worker_after_the_current_sheet(registry, settings, monkeypatch):
    """In this process: SIGTERM arrives while the first sheet renders (SIGINT, and real
    processes, are tested below)."""
    settings.BOOK_CHUNK_SIZE = 3
    book = order(registry)
    first, second = book.chunks.order_by("index")
    rendered = []
    render_sheet = rendering.render_sheet

    def signalling_render_sheet(indicator, existing, content_key):
        rendered.append(indicator.pk)
        if len(rendered) == 1:
            signal.raise_signal(signal.SIGTERM)
        return render_sheet(indicator, existing, content_key)

    monkeypatch.setattr(rendering, "render_sheet", signalling_render_sheet)
    handler = signal.getsignal(signal.SIGTERM)
    run_workers("stopping-worker")
    assert signal.getsignal(signal.SIGTERM) == handler  # the worker put the test process's handler back
    assert rendered == [first.indicator_ids[0]]  # the current sheet, and nothing after it
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.worker, first.lease_until) == (BookChunk.Status.PENDING, "", None)
    assert first.done_count == 1
    assert first.attempts == 0  # being stopped is not a failed attempt
    assert (second.status, second.attempts) == (BookChunk.Status.PENDING, 0)
    # Handed back at once: both chunks are queued, for any worker, without waiting for a lease.
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert sorted(task.args_kwargs["args"] for task in ready) == sorted([[first.pk], [second.pk]])

    run_workers("second-worker")
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    # The sheet done before the stop is reused by its content key, without its HTML.
    assert sorted(rendered[1:]) == sorted(i.pk for i in registry["indicators"] if i.pk != rendered[0])
    assert SheetRender.objects.count() == 6
    titles = [title for depth, title, _ in outline_titles(PdfReader(book.file.path)) if depth == 2]
    assert titles == [f"{i.full_code} {i.name}" for i in registry["indicators"]]
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def test_only_executives_and_administrators_order_books(registry, client):
    staff = make_user("staff", Role.UNIT_STAFF, [registry["indicators"][0].org_unit])
    client.force_login(staff)
    assert client.post(reverse("book_order"), {"query": ""}).status_code == 403
    client.force_login(registry["executive"])
    response = client.post(reverse("book_order"), {"query": "unit=5002"})
    book = Book.objects.get()
    assert response.status_code == 302 and response.url == reverse("book_detail", args=[book.pk])
    assert book.total == 2 and "5002" in book.title
    # A book is its orderer's (and executives' and administrators'): staff cannot see it.
    client.force_login(staff)
    assert client.get(reverse("book_detail", args=[book.pk])).status_code == 404


def test_an_empty_selection_orders_nothing(registry, client):
    client.force_login(registry["executive"])
    response = client.post(reverse("book_order"), {"query": "q=ไม่มีตัวชี้วัดนี้"})
    assert response.status_code == 302 and not Book.objects.exists()


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_environment(settings) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def worker_command(worker_id: str, verbosity: int = 0) -> list[str]:
    return [sys.executable, "manage.py", "book_worker", "--worker-id", worker_id, "-v", str(verbosity)]


def start_worker_and_wait_for_a_sheet(
    book, worker_id: str, env: dict, verbosity: int = 0
) -> subprocess.Popen:
    """A real worker process (its log in ``stderr``), once it has rendered the first sheet of a chunk."""
    worker = subprocess.Popen(
        worker_command(worker_id, verbosity),
        cwd=django_settings.BASE_DIR,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not BookChunk.objects.filter(book=book, done_count__gte=1).exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(
                "the worker exited early" if worker.poll() is not None else "the worker rendered nothing"
            )
        time.sleep(0.05)
    return worker


@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_process_mid_book(registry, settings):
    """A real worker process is killed while it renders; after a restart the book completes."""
    book = order(registry)
    env = worker_environment(settings)
    worker = start_worker_and_wait_for_a_sheet(book, "killed-worker", env)
    try:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    book.refresh_from_db()
    assert book.status != Book.Status.DONE
    (killed_task,) = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    command = [*worker_command("killed-worker"), "--once"]
    restarted = subprocess.run(command, cwd=django_settings.BASE_DIR, env=env, timeout=300)
    assert restarted.returncode == 0
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    reader = PdfReader(io.BytesIO(open(book.file.path, "rb").read()))
    titles = [title for depth, title, _ in outline_titles(reader) if depth == 2]
    assert titles == [f"{i.full_code} {i.name}" for i in registry["indicators"]]
    # The task table tells the truth: the killed run failed, nothing is left running.
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    killed_task.refresh_from_db()
    assert killed_task.status == TaskResultStatus.FAILED and "killed-worker" in killed_task.traceback


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_worker_process_stops_on_the_first_signal_after_the_current_sheet(registry, settings, signum):
    """As a service manager (SIGTERM) or an operator (Ctrl+C, SIGINT) stops a worker."""
    settings.BOOK_CHUNK_SIZE = 3  # chunks of 3 and 1 sheets: the signal lands inside the first
    indicators = registry["indicators"][:4]
    book = order(registry, indicators)
    first, second = book.chunks.order_by("index")
    worker = start_worker_and_wait_for_a_sheet(
        book, "stopped-worker", worker_environment(settings), verbosity=1
    )
    try:
        worker.send_signal(signum)
        signalled = time.monotonic()
        _out, log = worker.communicate(timeout=30)
        stopped_after = time.monotonic() - signalled
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
    assert stopped_after < 15  # a sheet takes about a second; systemd waits 90 s before SIGKILL
    # The sheet being rendered was finished, nothing after it was started...
    first.refresh_from_db()
    second.refresh_from_db()
    assert 1 <= first.done_count <= 2 and 1 <= SheetRender.objects.count() <= 2
    assert set(SheetRender.objects.values_list("indicator", flat=True)) <= set(first.indicator_ids[:2])
    # ...and the chunk was handed back: queued for any worker now, not when a lease runs out.
    assert (first.status, first.worker, first.lease_until) == (BookChunk.Status.PENDING, "", None)
    assert (second.status, second.attempts) == (BookChunk.Status.PENDING, 0)
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2
    # The log tells an operator what happened.
    name = signal.Signals(signum).name
    assert f"{name} received: stopping after the current sheet" in log
    assert f"Book {book.pk} part 1/2 (3 sheets): handed back after {first.done_count} sheets" in log
    assert "Book worker 'stopped-worker' stopped" in log

    run_workers("second-worker")  # in this process, which saves starting one
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    titles = [title for depth, title, _ in outline_titles(PdfReader(book.file.path)) if depth == 2]
    assert titles == [f"{i.full_code} {i.name}" for i in indicators]  # every sheet once
    assert SheetRender.objects.count() == 4  # none rendered twice
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def test_a_units_page_groups_its_indicators_by_agreement_dimension(registry, client):
    first, second = registry["indicators"][:2]
    Indicator.objects.filter(pk=first.pk).update(agreement_ref="3.2")
    Indicator.objects.filter(pk=second.pk).update(agreement_ref="1.1")
    client.force_login(registry["executive"])
    page = client.get(reverse("unit_page", args=[first.org_unit.code])).text
    dimension_1 = page.index("มิติที่ 1 ด้านประสิทธิผลตามพันธกิจ")
    dimension_3 = page.index("มิติที่ 3 ด้านประสิทธิภาพของการปฏิบัติราชการ")
    assert dimension_1 < page.index(second.name) < dimension_3 < page.index(first.name)
    assert 'name="query" value="unit=5001&amp;year=2568"' in page  # the unit's book


def contents_pages(reader, front_pages: int) -> dict[str, int]:
    """{indicator code: page} as the contents print them (each row ends in its page)."""
    listed = {}
    for page in reader.pages[1:front_pages]:
        for line in page.extract_text().splitlines():
            match = re.match(r"(\d{4}-\d{4}) .* (\d+)$", line.strip())
            if match:
                listed[match[1]] = int(match[2])
    return listed


def test_every_page_prints_the_books_page_number_as_the_contents_and_outline_give_it(registry):
    # A long sheet, so that sheets after it do not start on evenly spaced pages.
    long_one = registry["indicators"][1]
    long_one.reports.filter(quarter=1).update(narrative="ผลการดำเนินงานไตรมาสแรกเป็นไปตามแผน " * 400)
    book = order(registry)
    run_workers()
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    reader = PdfReader(book.file.path)
    total = len(reader.pages)
    texts = [page.extract_text() for page in reader.pages]
    assert "หน้า" not in texts[0]  # the cover bears no number
    for number, text in enumerate(texts[1:], start=2):
        # The book's number, once (the sheet's own "page 1 of 3" is gone), and who printed it.
        assert re.findall(r"หน้า \d+ จาก \d+", text) == [f"หน้า {number} จาก {total}"], (number, text)
        assert re.search(r"พิมพ์เมื่อ \d{1,2} .+ 25\d\d .*โดย ผู้บริหาร", text), text

    # Where each sheet starts, read off the pages: the first page naming it in its header.
    front_pages = next(n for n, text in enumerate(texts) if "ตัวชี้วัด 5001-" in text)
    starts = {}
    for number, text in enumerate(texts[front_pages:], start=front_pages + 1):
        for indicator in registry["indicators"]:
            if f"ตัวชี้วัด {indicator.full_code}" in text:
                starts.setdefault(indicator.full_code, number)
    codes = [indicator.full_code for indicator in registry["indicators"]]
    assert list(starts) == codes
    assert starts[codes[2]] - starts[codes[1]] >= 3  # the long sheet took several pages
    assert contents_pages(reader, front_pages) == starts
    outline = {title.split()[0]: page for depth, title, page in outline_titles(reader) if depth == 2}
    assert outline == starts


def test_the_cover_title_reads_as_thai_and_keeps_its_fiscal_year_on_one_line(registry, client):
    client.force_login(registry["executive"])
    client.post(reverse("book_order"), {"query": "unit=5002&year=2568"})
    assert Book.objects.get().title == "รายละเอียดตัวชี้วัด – 5002 สำนักงานเขตทดสอบ 2 ปีงบประมาณ 2568"
    # Unit names of every length up to two lines, so that the line ends somewhere in the phrase.
    for extra in range(10, 30):
        title = f"รายละเอียดตัวชี้วัด – 5002 สำนักงานเขตทดสอบ{' 2' * extra} ปีงบประมาณ 2568"
        pdf, _pages = assembly.front_matter_pdf(Book(title=title, ordered_by=registry["executive"]), [])
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert "ปีงบประมาณ 2568" in text, (extra, text)  # no line break inside


class FormNesting(HTMLParser):
    """Forms opened inside an open form (which browsers drop), and the tables' row widths."""

    def __init__(self):
        super().__init__()
        self.open_forms, self.nested, self.tables, self.row_cells = 0, 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.nested += self.open_forms > 0
            self.open_forms += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "tr":
            self.row_cells.append(0)
        elif tag in ("td", "th"):
            self.row_cells[-1] += int(dict(attrs).get("colspan", 1))

    def handle_endtag(self, tag):
        if tag == "form":
            self.open_forms -= 1


def test_a_units_page_lists_every_group_in_one_table_and_orders_its_book_outside_the_year_form(
    registry, client
):
    first, second = registry["indicators"][:2]
    Indicator.objects.filter(pk=first.pk).update(agreement_ref="3.2")
    Indicator.objects.filter(pk=second.pk).update(agreement_ref="1.1")
    client.force_login(registry["executive"])
    page = client.get(reverse("unit_page", args=[first.org_unit.code]), {"year": "2568"}).text
    parsed = FormNesting()
    parsed.feed(page)
    assert parsed.nested == 0  # the year filter's form and the book's order side by side
    assert parsed.tables == 1  # two dimension groups, one table: the columns line up
    assert parsed.row_cells == [4] * (1 + 2 + 2)  # the head, and per group its heading and row
    # The order button posts its own form (with the CSRF token), not the year's GET form.
    order_form = page[page.index('action="/books/order/"') :]
    assert order_form.index("csrfmiddlewaretoken") < order_form.index("</form>")
    response = client.post(reverse("book_order"), {"query": "unit=5001&year=2568"})
    assert response.status_code == 302 and Book.objects.get().total == 2


def test_a_books_page_mentions_reused_sheets_only_when_some_were(registry, client):
    book = order(registry, registry["indicators"][:2])
    run_workers()
    client.force_login(registry["executive"])
    page = client.get(reverse("book_detail", args=[book.pk])).text
    book.refresh_from_db()
    assert f"{book.page_count} หน้า" in page and "ใช้ฉบับเดิม" not in page
    again = order(registry, registry["indicators"][:2])
    run_workers()
    assert "ใช้ฉบับเดิม 2 ตัวชี้วัดที่ไม่มีการเปลี่ยนแปลง" in client.get(reverse("book_detail", args=[again.pk])).text


def render_every_chunk(book, worker="renderer"):
    """Every chunk rendered (in this process), which leaves the book's assembly queued."""
    for chunk in book.chunks.order_by("index"):
        assert rendering.render_chunk(chunk.pk, worker) == "done"
    book.refresh_from_db()
    assert book.status == Book.Status.ASSEMBLING


def assembly_task(book) -> DBTaskResult:
    return DBTaskResult.objects.get(task_path="reports.tasks.assemble_book", status=TaskResultStatus.READY)


def test_a_book_whose_assembling_worker_died_is_assembled_by_another_after_its_lease(registry):
    book = order(registry)
    render_every_chunk(book)
    # A worker took the assembly task and the book's assembly lease, and died.
    assembly_task(book).claim("dead-worker")
    assert assembly.claim_assembly(book.pk, "dead-worker") is not None
    run_workers("live-worker")
    book.refresh_from_db()
    assert (book.status, book.assembler) == (Book.Status.ASSEMBLING, "dead-worker")  # still leased
    Book.objects.filter(pk=book.pk).update(assembly_lease_until=timezone.now() - timedelta(seconds=1))
    run_workers("live-worker")
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    assert (book.assembler, book.assembly_attempts) == ("live-worker", 2)
    titles = [title for depth, title, _ in outline_titles(PdfReader(book.file.path)) if depth == 2]
    assert titles == [f"{i.full_code} {i.name}" for i in registry["indicators"]]
    # The dead worker's run is marked failed, not left running.
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    dead = DBTaskResult.objects.get(task_path="reports.tasks.assemble_book", status=TaskResultStatus.FAILED)
    assert dead.exception_class_path == "reports.books.WorkerLost" and "dead-worker" in dead.traceback


def test_a_restarted_worker_takes_its_assembly_back_at_once(registry):
    book = order(registry)
    render_every_chunk(book)
    assembly_task(book).claim("worker-1")
    assert assembly.claim_assembly(book.pk, "worker-1") is not None  # then the process was killed
    run_workers("worker-1")  # the same worker, restarted: no waiting for the lease
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def test_a_worker_that_lost_its_assembly_lease_does_not_save_the_book(registry, monkeypatch):
    book = order(registry)
    render_every_chunk(book)
    merge_book = assembly.merge_book

    def slow_merge(book, *args):
        # While this (slow) worker merges, its lease runs out and another worker takes over.
        Book.objects.filter(pk=book.pk).update(assembly_lease_until=timezone.now() - timedelta(seconds=1))
        assert assembly.claim_assembly(book.pk, "fast-worker") is not None
        return merge_book(book, *args)

    monkeypatch.setattr(assembly, "merge_book", slow_merge)
    assert assembly.assemble(book.pk, "slow-worker") == "lost lease"
    book.refresh_from_db()
    assert (book.status, book.assembler, book.file.name) == (Book.Status.ASSEMBLING, "fast-worker", "")


def test_an_assembly_that_keeps_failing_fails_the_book(registry):
    book = order(registry)
    render_every_chunk(book)
    Book.objects.filter(pk=book.pk).update(assembly_attempts=3)
    assert assembly.assemble(book.pk, "worker-4") == "failed"
    book.refresh_from_db()
    assert book.status == Book.Status.FAILED and "3" in book.error


@pytest.fixture
def front_renders(monkeypatch) -> list:
    """The HTML of every front matter (cover and contents) the assembly renders, in order."""
    renders = []
    html_to_pdf = assembly.html_to_pdf

    def counting_html_to_pdf(html):
        renders.append(html)
        return html_to_pdf(html)

    monkeypatch.setattr(assembly, "html_to_pdf", counting_html_to_pdf)
    return renders


def test_the_same_book_again_reuses_its_rendered_cover_and_contents(registry, front_renders):
    renders = front_renders
    first = order(registry)
    run_workers()
    assert len(renders) == 2  # to learn the contents' length, then with the page numbers
    second = order(registry)
    run_workers()
    assert len(renders) == 2  # nothing rendered again
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == Book.Status.DONE
    contents = [
        [line for line in PdfReader(book.file.path).pages[1].extract_text().splitlines() if "พิมพ์" not in line]
        for book in (first, second)
    ]  # but for the stamped footer's print time
    assert contents[0] == contents[1] and registry["indicators"][5].full_code in "".join(contents[1])


def test_a_rebuild_whose_sheet_grew_renders_its_contents_once_with_the_new_page_numbers(
    registry, front_renders
):
    renders = front_renders
    first = order(registry)
    run_workers()
    first.refresh_from_db()
    assert len(renders) == 2  # to learn the contents' length, then with the page numbers
    # The second sheet grows by pages: every sheet after it starts later.
    long_one = registry["indicators"][1]
    long_one.reports.filter(quarter=1).update(narrative="ผลการดำเนินงานไตรมาสแรกเป็นไปตามแผน " * 400)
    second = order(registry)
    run_workers()
    second.refresh_from_db()
    assert second.status == Book.Status.DONE, second.error
    assert len(renders) == 3  # the contents once, with the new numbers
    assert second.page_count >= first.page_count + 2

    reader = PdfReader(second.file.path)
    texts = [page.extract_text() for page in reader.pages]
    front_pages = next(n for n, text in enumerate(texts) if "ตัวชี้วัด 5001-" in text)
    starts = {}
    for number, text in enumerate(texts[front_pages:], start=front_pages + 1):
        for indicator in registry["indicators"]:
            if f"ตัวชี้วัด {indicator.full_code}" in text:
                starts.setdefault(indicator.full_code, number)
    codes = [indicator.full_code for indicator in registry["indicators"]]
    assert list(starts) == codes and starts[codes[2]] - starts[codes[1]] >= 3
    assert contents_pages(reader, front_pages) == starts
    assert {title.split()[0]: page for depth, title, page in outline_titles(reader) if depth == 2} == starts


def test_a_front_matter_length_kept_wrong_costs_a_render_not_wrong_numbers(registry):
    """A length kept for the contents that does not match (a stylesheet changed, a file
    edited): the contents are rendered again with the length they came out with."""
    first = order(registry)
    run_workers()
    storage = Book._meta.get_field("file").storage
    (kept,) = [name for name in storage.listdir(assembly.FRONT_MATTER_DIR)[1] if name.endswith(".pages")]
    length = int(storage.open(f"{assembly.FRONT_MATTER_DIR}/{kept}").read())
    storage.delete(f"{assembly.FRONT_MATTER_DIR}/{kept}")
    storage.save(f"{assembly.FRONT_MATTER_DIR}/{kept}", io.BytesIO(b"%d" % (length + 3)))
    long_one = registry["indicators"][1]
    long_one.reports.filter(quarter=1).update(narrative="ผลการดำเนินงานไตรมาสแรกเป็นไปตามแผน " * 400)
    second = order(registry)
    run_workers()
    second.refresh_from_db()
    assert second.status == Book.Status.DONE, second.error
    assert int(storage.open(f"{assembly.FRONT_MATTER_DIR}/{kept}").read()) == length
    reader = PdfReader(second.file.path)
    texts = [page.extract_text() for page in reader.pages]
    assert next(n for n, text in enumerate(texts) if "ตัวชี้วัด 5001-" in text) == length
    listed = contents_pages(reader, length)
    outline = {title.split()[0]: page for depth, title, page in outline_titles(reader) if depth == 2}
    assert listed == outline and len(listed) == 6 and first.pk != second.pk


def test_the_assembly_reads_sheets_on_the_local_disk_where_they_are_and_copies_others(
    registry, tmp_path, monkeypatch
):
    order(registry)
    run_workers()
    render = SheetRender.objects.order_by("pk").first()
    workdir = tmp_path / "assembly"
    workdir.mkdir()
    assert assembly.spool(render, workdir) == (Path(render.file.path), False)
    assert list(workdir.iterdir()) == []

    def no_path(field_file):
        raise NotImplementedError("object storage has no path")

    # As an S3 storage's file: its path is not on this machine, its contents are read through the API.
    monkeypatch.setattr(FieldFile, "path", property(no_path))
    copy, copied = assembly.spool(render, workdir)
    assert copied and copy.parent == workdir
    with render.file.open("rb") as original:
        assert copy.read_bytes() == original.read()


def test_a_book_written_sheet_by_sheet_is_what_qpdf_puts_together(registry):
    """The writer (reports/books/writing.py) against pikepdf merging the same front matter
    and sheets and laying the same stamps over them: every page's words in the same boxes."""
    long_one = registry["indicators"][1]
    long_one.reports.filter(quarter=1).update(narrative="ผลการดำเนินงานไตรมาสแรกเป็นไปตามแผน " * 400)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.UTC), tick=False):
        book = order(registry)
        run_workers()
        book.refresh_from_db()
        assert book.status == Book.Status.DONE, book.error
        render_ids = [pk for chunk in book.chunks.order_by("index") for pk in chunk.render_ids]
        renders = SheetRender.objects.in_bulk(render_ids)
        entries = [(renders[pk], renders[pk].indicator) for pk in render_ids]
        with override("th"):
            front, front_pages, _first_pages = assembly.front_matter(book, entries)
            total = front_pages + sum(render.page_count for render, _indicator in entries)
            stamps = BookStamps(printed_footer(timezone.localtime(), "ผู้บริหาร"), 2, total)
            reference = pikepdf.new()
            with pikepdf.open(io.BytesIO(front)) as front_pdf:
                reference.pages.extend(front_pdf.pages)
            sheets = [pikepdf.open(render.file.path) for render, _indicator in entries]
            for sheet in sheets:
                reference.pages.extend(sheet.pages)
            for number, page in enumerate(reference.pages, start=1):
                if number >= 2:
                    page.add_overlay(stamps.form(reference, number))
            expected = io.BytesIO()
            reference.save(expected)
            for sheet in sheets:
                sheet.close()
            stamps.close()
    written = book.file.read()
    assert len(PdfReader(io.BytesIO(written)).pages) == total == book.page_count
    for page in range(1, total + 1):
        assert word_boxes(written, page) == word_boxes(expected.getvalue(), page), page
    assert [page.extract_text() for page in PdfReader(io.BytesIO(written)).pages] == [
        page.extract_text() for page in PdfReader(io.BytesIO(expected.getvalue())).pages
    ]
    with pikepdf.open(book.file.path) as pdf:
        assert pdf.check_pdf_syntax() == []
