"""A sheet's content key (reports/sheet_version.py): database triggers give it a new
value on any change to what the sheet shows, whichever door wrote; prints and books
reuse a PDF under it without fetching the sheet or rendering its HTML."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.models import (
    CityDataSet,
    Indicator,
    QuarterTarget,
    Role,
    StrategyNode,
    SupportingProject,
    UnitOfMeasure,
)
from reports import sheet_pdf
from reports.books import ordering, rendering
from reports.models import AnnualSummary, AuditScore, Book, QuarterReport, SheetRender
from reports.printing.render import sheet_html
from reports.sheet import build_sheet, sheet_queryset
from reports.sheet_version import content_keys
from tests.factories import (
    make_fiscal_year,
    make_indicator,
    make_report,
    make_score,
    make_strategy_path,
    make_target,
    make_unit,
    make_user,
)
from tests.reports.test_printing import pdftotext

pytestmark = pytest.mark.django_db


def key(indicator) -> str:
    with override("th"):
        return content_keys([indicator.pk])[indicator.pk]


@pytest.fixture
def pair():
    """Two indicators of one unit with a row of each kind a sheet shows."""
    year = make_fiscal_year(2568)
    unit = make_unit("5001", "สำนักงานเขตพระนคร")
    node = make_strategy_path()
    data_set = CityDataSet.objects.create(code="D-01", name="ข้อมูลขยะมูลฝอย")
    made = []
    for sequence in (1, 2):
        indicator = make_indicator(year, unit, sequence=sequence, strategy_node=node)
        make_target(indicator, 1, 10)
        make_report(indicator, 1, "5", "รายงานไตรมาสแรก")
        make_score(indicator, 1, 4)
        AnnualSummary.objects.create(indicator=indicator, text="สรุปผลทั้งปี")
        SupportingProject.objects.create(indicator=indicator, name="โครงการคัดแยกขยะ", position=1)
        indicator.city_data_sets.add(data_set)
        made.append(indicator)
    return made


# Each change names the table it writes, literally: a change to one indicator's rows changes
# its key only; a change to a shared table changes every key.
OWN_ROWS = {
    "indicator name": lambda i: Indicator.objects.filter(pk=i.pk).update(name="ชื่อใหม่"),
    "target": lambda i: QuarterTarget.objects.filter(indicator=i).update(target=Decimal("12")),
    "new target": lambda i: make_target(i, 2, 20),
    "narrative": lambda i: QuarterReport.objects.filter(indicator=i).update(narrative="แก้ไขแล้ว"),
    "report deleted": lambda i: QuarterReport.objects.filter(indicator=i).delete(),
    "score": lambda i: AuditScore.objects.filter(indicator=i).update(score=Decimal("5")),
    "summary": lambda i: AnnualSummary.objects.filter(indicator=i).update(text="สรุปใหม่"),
    "project": lambda i: SupportingProject.objects.filter(indicator=i).update(name="โครงการใหม่"),
    "data set removed": lambda i: i.city_data_sets.clear(),
}
SHARED_ROWS = {
    "unit renamed": lambda i: type(i.org_unit).objects.filter(pk=i.org_unit_id).update(name="เขตใหม่"),
    "year's criteria label": lambda i: (
        type(i.fiscal_year).objects.filter(pk=i.fiscal_year_id).update(criterion_1_label="เกณฑ์ใหม่")
    ),
    "strategy node": lambda i: StrategyNode.objects.filter(pk=i.strategy_node_id).update(title="ยุทธศาสตร์ใหม่"),
    "data set renamed": lambda i: CityDataSet.objects.update(name="ชุดข้อมูลใหม่"),
    "unit of measure": lambda i: UnitOfMeasure.objects.filter(name=i.unit_of_measure_id).update(
        whole_numbers=True
    ),
}


@pytest.mark.parametrize("change", OWN_ROWS)
def test_a_change_to_a_sheets_own_rows_changes_its_key_only(pair, change):
    first, second = pair
    before = (key(first), key(second))
    OWN_ROWS[change](first)
    assert key(first) != before[0]
    assert key(second) == before[1]


@pytest.mark.parametrize("change", SHARED_ROWS)
def test_a_change_to_a_shared_table_changes_every_key(pair, change):
    first, second = pair
    before = (key(first), key(second))
    SHARED_ROWS[change](first)
    assert key(first) != before[0] and key(second) != before[1]


def test_sql_written_by_hand_changes_the_key(pair):
    first, second = pair
    before = key(first)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {QuarterReport._meta.db_table} SET narrative = %s WHERE indicator_id = %s",
            ["แก้ด้วย SQL", first.pk],
        )
    assert key(first) != before


def test_the_key_depends_on_the_language(pair):
    first, _second = pair
    with override("en"):
        english = content_keys([first.pk])[first.pk]
    assert english != key(first)


def test_every_table_a_sheet_reads_has_a_trigger_that_writes_the_version(pair):
    """Found from the SQL the sheet runs, not from the module's list: a table added to the
    sheet later without a trigger fails here."""
    with CaptureQueriesContext(connection) as queries, override("th"):
        sheet = build_sheet(sheet_queryset().select_related("annual_summary").get(pk=pair[0].pk))
        sheet_html(sheet)
    read = set()
    for query in queries.captured_queries:
        read |= set(re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"]))
    assert {"indicators_indicator", "reports_quarterreport", "indicators_orgunit"} <= read
    for table in read:
        if connection.vendor == "postgresql":
            sql = (
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_proc p ON p.oid = t.tgfoid WHERE c.relname = %s AND p.prosrc LIKE %s"
            )
        else:
            sql = (
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND sql LIKE %s"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [table, "%reports_sheetversion%"])
            assert cursor.fetchone()[0] >= 1, f"no trigger on {table}"


def test_a_repeat_print_fetches_no_sheet_and_renders_no_html(executive_client, pair, renders, monkeypatch):
    url = reverse("indicator_pdf", args=[pair[0].pk])
    assert executive_client.get(url).status_code == 200

    def no_html(*args, **kwargs):
        raise AssertionError("the sheet's HTML was rendered")

    monkeypatch.setattr(sheet_pdf, "sheet_html", no_html)
    with CaptureQueriesContext(connection) as queries:
        response = executive_client.get(url)
    assert response.status_code == 200 and len(renders) == 1
    assert "รายงานไตรมาสแรก" in pdftotext(response.content)
    # session, user, the user's roles and units (one query), the indicator through the
    # access rules with its content tokens
    assert len(queries) == 4, "\n".join(q["sql"][:150] for q in queries.captured_queries)


def test_an_edit_reverted_is_printed_from_the_same_body(executive_client, pair, renders):
    url = reverse("indicator_pdf", args=[pair[0].pk])
    executive_client.get(url)
    QuarterReport.objects.filter(indicator=pair[0]).update(narrative="ชั่วคราว")
    assert "ชั่วคราว" in pdftotext(executive_client.get(url).content)
    QuarterReport.objects.filter(indicator=pair[0]).update(narrative="รายงานไตรมาสแรก")
    text = pdftotext(executive_client.get(url).content)
    assert "รายงานไตรมาสแรก" in text and "ชั่วคราว" not in text
    assert len(renders) == 2  # the third print found the first one's body by its HTML


def test_a_print_without_a_key_falls_back_to_the_html(executive_client, pair, renders):
    from reports.models import SheetVersion

    SheetVersion.objects.all().delete()  # as on data from before the triggers
    url = reverse("indicator_pdf", args=[pair[0].pk])
    executive_client.get(url)
    response = executive_client.get(url)
    assert "รายงานไตรมาสแรก" in pdftotext(response.content)
    assert len(renders) == 1


def test_a_book_rebuild_fetches_only_the_changed_sheets(settings, tmp_path, pair, monkeypatch):
    # The worker runs in this process: it must not close the test's connection.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    settings.MEDIA_ROOT = tmp_path
    executive = make_user("exec", Role.EXECUTIVE)
    ids = [indicator.pk for indicator in pair]
    ordering.order_book(executive, ids, "สมุดทดสอบ")
    call_command("book_worker", once=True, worker_id="w", verbosity=0)
    assert SheetRender.objects.exclude(content_key="").count() == 2

    built = []
    original = rendering.sheet_html

    def counting(sheet, **kwargs):
        built.append(sheet.indicator.pk)
        return original(sheet, **kwargs)

    monkeypatch.setattr(rendering, "sheet_html", counting)
    QuarterReport.objects.filter(indicator=pair[1]).update(narrative="แก้ไขไตรมาสแรก")
    book = ordering.order_book(executive, ids, "สมุดทดสอบ")
    call_command("book_worker", once=True, worker_id="w", verbosity=0)
    book.refresh_from_db()
    assert book.status == Book.Status.DONE and book.reused == 1
    assert built == [pair[1].pk]
    assert "แก้ไขไตรมาสแรก" in pdftotext(book.file.read())


# Edits from every door, each with the words the print must show after it.
EDITS = {
    "narrative (ORM)": lambda i, word: QuarterReport.objects.filter(indicator=i).update(narrative=word),
    "narrative (SQL)": lambda i, word: _sql(
        f"UPDATE {QuarterReport._meta.db_table} SET narrative = %s WHERE indicator_id = %s", [word, i.pk]
    ),
    "summary": lambda i, word: AnnualSummary.objects.filter(indicator=i).update(text=word),
    "project": lambda i, word: SupportingProject.objects.create(indicator=i, name=word, position=2),
    "unit": lambda i, word: type(i.org_unit).objects.filter(pk=i.org_unit_id).update(name=word),
    "strategy": lambda i, word: StrategyNode.objects.filter(pk=i.strategy_node_id).update(title=word),
    "data set": lambda i, word: CityDataSet.objects.update(name=word),
    "definition (save)": lambda i, word: _saved(Indicator.objects.get(pk=i.pk), definition=word),
}


def _sql(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _saved(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=4))
def test_a_print_is_never_stale_whatever_door_the_edits_came_through(pair, executive_client, edits):
    """After any edits, the print from the cache reads as a print rendered from scratch."""
    url = reverse("indicator_pdf", args=[pair[0].pk])
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.UTC), tick=False):
        executive_client.get(url)  # in the cache
        for number, edit in enumerate(edits):
            word = f"แก้ไขครั้งที่{number}{edit.split()[0]}"
            EDITS[edit](pair[0], word)
            cached = pdftotext(executive_client.get(url).content)
            caches["pdf"].clear()
            fresh = pdftotext(executive_client.get(url).content)
            assert cached == fresh
            assert word in cached.replace("\n", "")
