"""Property-based tests (hypothesis): generated input nobody planned for, posted to the
quarter entry, the autosave, the review and the reopening, and sent as the parameters
of the lists, the search, the review queue and the dashboard. On SQLite and PostgreSQL:
never a server error; refused input changes no row; accepted input is stored as typed.

Thai with stacked marks, NUL, huge strings, right-to-left and zero-width characters,
"NaN", "Infinity", "1e400", negative numbers. Each example runs inside a transaction
rolled back after it, so every example starts from the same rows.
"""

from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reports.models import AuditScore, Book, QuarterReport
from tests.web import changed_tables, db_snapshot, make_world

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

NUMBER_LIKE = [
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1e400",
    "1e-400",
    "1E2",
    "-1",
    "-0",
    "-0.01",
    "0",
    "100",
    "100.00",
    "100.001",
    "99.999",
    "5",
    "9" * 40,
    "1,000",
    "๓๐",  # Thai digits
    "٣٠",  # Arabic-Indic digits
    " 30 ",
    "30\u200b",
    "\u202e30",
    "3\x000",
    "0x1A",
    "",
    " ",
]
MARKS = [
    "\u0e31",
    "\u0e34",
    "\u0e35",
    "\u0e37",
    "\u0e38",
    "\u0e47",
    "\u0e48",
    "\u0e49",
    "\u0e4a",
    "\u0e4b",
    "\u0e4c",
]
ODD_CHARACTERS = [
    "\x00",
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\ufeff",
    "\u202e",  # right-to-left override
    "\u202b",
    "\u200f",
    "\u061c",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "<",
    ">",
    "&",
    '"',
    "'",
    " ",
    "\xa0",
    "\u2028",
]
LETTERS = list("กขคงจทนมยรลวสหอ") + list("abz19")

stacked_thai = st.builds(
    lambda base, marks: base + "".join(marks),
    st.sampled_from(LETTERS[:15]),
    st.lists(st.sampled_from(MARKS), min_size=1, max_size=12),
)
odd_text = st.lists(
    st.one_of(st.sampled_from(LETTERS), st.sampled_from(ODD_CHARACTERS), stacked_thai), max_size=40
).map("".join)
huge_text = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["ก", "ก\u0e34\u0e48", "x", "\u200b", " "]),
    st.sampled_from([99, 100, 101, 1999, 2000, 2001, 6700, 19_999, 20_000, 20_001, 25_000]),
)
texts = st.one_of(odd_text, huge_text, st.sampled_from(NUMBER_LIKE), st.text(max_size=30))
numbers = st.one_of(
    st.sampled_from(NUMBER_LIKE),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    odd_text,
)


@pytest.fixture
def world(db, settings, tmp_path):
    return make_world(settings, tmp_path)


@contextmanager
def rolled_back():
    """One example's changes, undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def clients(world) -> dict[str, Client]:
    """Signed-in clients, made once per test (not per example)."""
    signed_in = {}
    for role, user in world["users"].items():
        signed_in[role] = Client()
        signed_in[role].force_login(user)
        signed_in[role].get("/")  # the session's first save, outside the examples
    return signed_in


def snapshot():
    """The rows of the portal's own tables (what any of these requests could write)."""
    return db_snapshot(("indicators", "reports"))


def decimal_or_none(text: str):
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


# --- posted input --------------------------------------------------------------------------------


@EXAMPLES
@given(result=numbers, narrative=texts, submit=st.booleans())
@example(result="30", narrative="รายงาน\x00ผล", submit=False)
@example(result="1e400", narrative="x" * 20_001, submit=True)
@example(result="NaN", narrative="ก" + "".join(MARKS) * 3, submit=False)
def test_the_entry_form_stores_what_was_typed_or_nothing(world, clients, result, narrative, submit):
    client = clients["staff"]
    url = reverse("quarter_report", args=[world["indicator"].pk, 3])
    with rolled_back():
        before = snapshot()
        posted = {
            "result": result,
            "narrative": narrative,
            "version": "1",
            "submit" if submit else "save": "",
        }
        response = client.post(url, posted)
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert changed_tables(before, snapshot()) == []
            return
        report = QuarterReport.objects.get(pk=world["draft"].pk)
        assert report.narrative == narrative.strip().replace("\r\n", "\n")
        assert "\x00" not in report.narrative and len(report.narrative) <= 20_000
        assert report.result == decimal_or_none(result) and (report.result is None or report.result >= 0)
        assert report.status == ("submitted" if submit else "draft")


@EXAMPLES
@given(result=numbers, narrative=texts)
@example(result=" ", narrative="")
@example(result="", narrative="ร่าง\x00")
@example(result="-1", narrative="x" * 20_001)
@example(result="Infinity", narrative="\u202eข้อความ\u200b")
def test_the_autosave_stores_the_draft_as_typed_or_nothing(world, clients, result, narrative):
    client = clients["staff"]
    url = reverse("quarter_autosave", args=[world["indicator"].pk, 3])
    with rolled_back():
        before = snapshot()
        response = client.post(url, {"result": result, "narrative": narrative, "version": "1"})
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert response.json()["message"]
            assert changed_tables(before, snapshot()) == []
            return
        report = QuarterReport.objects.get(pk=world["draft"].pk)
        assert report.narrative == narrative.replace("\r\n", "\n") and "\x00" not in report.narrative
        if result == "":
            assert report.result is None  # cleared
        elif report.result != Decimal("70"):  # a result not (yet) a number keeps the saved one
            assert report.result == decimal_or_none(result)


@EXAMPLES
@given(
    score=numbers,
    criterion_1=numbers,
    criterion_2=numbers,
    comment=texts,
    accept=st.booleans(),
    verification=st.booleans(),
)
@example(score="0", criterion_1="0", criterion_2="0", comment="", accept=True, verification=False)
@example(score="1e400", criterion_1="NaN", criterion_2="-1", comment="\x00", accept=True, verification=True)
@example(score="", criterion_1="", criterion_2="", comment="แก้ไข" * 5000, accept=False, verification=False)
def test_the_review_stores_the_scores_as_typed_or_nothing(
    world, clients, score, criterion_1, criterion_2, comment, accept, verification
):
    client = clients["auditor"]
    url = reverse("quarter_review", args=[world["indicator"].pk, 1])
    posted = {"score": score, "criterion_1": criterion_1, "criterion_2": criterion_2, "comment": comment}
    posted |= {"version": "4", "accept" if accept else "return": ""}
    if verification:
        posted["is_verification"] = "on"
    with rolled_back():
        before = snapshot()
        response = client.post(url, posted)
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert changed_tables(before, snapshot()) == []
            return
        report = QuarterReport.objects.get(pk=world["submitted"].pk)
        audit = AuditScore.objects.get(indicator=world["indicator"], quarter=1)
        assert report.status == ("accepted" if accept else "returned")
        for field, typed in (("score", score), ("criterion_1", criterion_1), ("criterion_2", criterion_2)):
            stored = getattr(audit, field)
            assert stored == decimal_or_none(typed) and (stored is None or 0 <= stored <= 100), field
        assert audit.comment == comment.strip() and "\x00" not in audit.comment
        assert audit.is_verification is verification


@EXAMPLES
@given(reason=texts)
@example(reason="เหตุผล" * 400)  # 2,400 characters
@example(reason="ก\u0e34\u0e48" * 666)  # 1,998 characters, a letter and its marks across 100
@example(reason="เปิด\x00ให้แก้ไข")
@example(reason=" \u200b ")
def test_reopening_stores_the_whole_reason_or_nothing(world, clients, reason):
    """The rule, written out here: a reason is required (surrounding white space does not
    count), at most 2,000 characters, and may not contain NUL."""
    client = clients["admin"]
    url = reverse("quarter_reopen", args=[world["indicator"].pk, 2])
    stripped = reason.strip()
    valid = 0 < len(stripped) <= 2000 and "\x00" not in stripped
    with rolled_back():
        before = snapshot()
        response = client.post(url, {"reason": reason})
        assert response.status_code == 302
        report = QuarterReport.objects.get(indicator=world["indicator"], quarter=2)
        if not valid:
            assert report.status == "accepted"
            assert changed_tables(before, snapshot()) == []
            return
        assert report.status == "returned" and report.return_comment == stripped
        assert len(report.history.latest("history_id").history_change_reason) <= 100


# --- parameters ----------------------------------------------------------------------------------

LIST_PARAMETERS = ["q", "year", "unit", "strategy", "type", "quarter", "progress", "page"]


@EXAMPLES
@given(
    url_name=st.sampled_from(["indicator_list", "indicator_export_csv", "review_queue", "dashboard", "home"]),
    parameters=st.dictionaries(st.sampled_from(LIST_PARAMETERS + ["sort", "x"]), texts, max_size=5),
)
@example(url_name="review_queue", parameters={"unit": "\x00", "year": "2568"})
@example(
    url_name="indicator_list", parameters={"q": "ก" + "".join(MARKS) * 4, "quarter": "5", "progress": "x"}
)
@example(url_name="dashboard", parameters={"year": "1e400", "quarter": "NaN"})
@example(url_name="indicator_list", parameters={"q": "x" * 25_000, "page": "-1"})
def test_lists_filters_search_and_dashboard_take_any_parameter(world, clients, url_name, parameters):
    """Read-only pages: a page (or a clear 400 for NUL), and nothing written. (The review
    queue is the auditors': administrators do not review.)"""
    client = clients["auditor" if url_name == "review_queue" else "admin"]
    with rolled_back():
        before = snapshot()
        response = client.get(reverse(url_name), parameters)
        if response.streaming:
            b"".join(response.streaming_content)
        nul = any("\x00" in key + value for key, value in parameters.items())
        assert response.status_code == (400 if nul else 200)
        assert changed_tables(before, snapshot()) == []


@EXAMPLES
@given(role=st.sampled_from(["staff", "executive"]), year=texts, extra=texts)
def test_the_unit_page_takes_any_year(world, clients, role, year, extra):
    client = clients[role]
    url = reverse("unit_page", args=[world["unit"].code])
    response = client.get(url, {"year": year, "x": extra})
    nul = "\x00" in year + extra
    assert response.status_code == (400 if nul else 200)


@EXAMPLES
@given(
    parameters=st.dictionaries(st.sampled_from(LIST_PARAMETERS + ["x"]), texts, max_size=4),
    raw=st.one_of(st.just(""), odd_text),
)
@example(parameters={}, raw="q=a\r\nX-Injected: 1")
@example(parameters={"q": "\x00"}, raw="")
def test_ordering_a_book_takes_any_filter_query(world, clients, parameters, raw):
    """The list's filters travel to the book order as one posted text: encoded, or typed."""
    query = urlencode(parameters) + ("&" + raw if raw else "")
    with rolled_back():
        response = clients["executive"].post(reverse("book_order"), {"query": query})
        assert response.status_code == 302
        assert not {"\r", "\n", "\x00"} & set(response["Location"])
        for book in Book.objects.all():
            assert "\x00" not in book.query + book.title + book.description
