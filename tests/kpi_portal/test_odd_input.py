"""Input the demo never makes, on SQLite and PostgreSQL alike: NUL characters in every
text field, parameter and URL part, and a reopening reason longer than the history's
change-reason column (issue 8, item 3). A clear message or a 404, never a 500, and
nothing stored."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import QuarterReport, shortened
from tests.factories import as_user
from tests.web import changed_tables, db_snapshot, make_world, project_urls

pytestmark = pytest.mark.django_db

NUL = "\x00"
NUL_TEXT = "รายงาน\x00ผล"


@pytest.fixture
def world(db, settings, tmp_path):
    return make_world(settings, tmp_path)


# --- the reopening reason -----------------------------------------------------------------------


def test_a_long_reopening_reason_is_kept_whole(world):
    """The form allows 2,000 characters; simple-history's change reason holds 100."""
    indicator = world["indicator"]
    reason = "เหตุผลการเปิดรับรายงานอีกครั้ง ยาวมาก " * 50
    reason = reason[:2000].strip()
    response = as_user(world["users"]["admin"]).post(
        reverse("quarter_reopen", args=[indicator.pk, 2]), {"reason": reason}
    )
    assert response.status_code == 302
    report = QuarterReport.objects.get(indicator=indicator, quarter=2)
    assert report.status == "returned" and report.return_comment == reason
    record = report.history.latest("history_id")
    assert record.return_comment == reason  # the history keeps the whole reason ...
    assert len(record.history_change_reason) <= 100  # ... and a short one fits its column
    assert record.history_change_reason.startswith("เหตุผลการเปิดรับรายงานอีกครั้ง")
    history = as_user(world["users"]["admin"]).get(reverse("indicator_history", args=[indicator.pk]))
    assert history.status_code == 200


# --- NUL in the URL and its parameters ---------------------------------------------------------


def test_nul_in_a_url_part_is_not_found(world):
    client = as_user(world["users"]["admin"])
    for url in ("/units/a%00b/", "/units/%00/", "/indicators/%00/", "/admin/indicators/orgunit/%00/change/"):
        assert client.get(url).status_code == 404, url


def test_nul_in_any_query_parameter_is_a_bad_request(world):
    """Every URL of the portal and the admin, signed in or not: a NUL anywhere in the
    query string (value or name) is refused with a message, before any view reads it."""
    urls = [url for name, url in project_urls(world) if name not in ("logout",)]
    for client in (Client(), as_user(world["users"]["admin"])):
        for url in urls:
            for query in ("unit=%00", "q=a%00b", "%00=1"):
                response = client.get(f"{url}?{query}")
                assert response.status_code == 400, (url, query)
    response = client.get(reverse("review_queue") + "?unit=%00")
    assert "อักขระ NUL" in response.text


@pytest.mark.parametrize(
    "url_name, query",
    [
        ("review_queue", {"unit": NUL_TEXT}),
        ("review_queue", {"year": NUL, "quarter": NUL, "page": NUL}),
        ("indicator_list", {"q": NUL_TEXT}),
        ("indicator_list", {"unit": NUL, "year": NUL, "strategy": NUL, "type": NUL}),
        ("indicator_list", {"quarter": NUL, "progress": NUL, "page": NUL}),
        ("dashboard", {"year": NUL, "quarter": NUL}),
        ("home", {"year": NUL, "quarter": NUL}),
        ("indicator_export_csv", {"q": NUL_TEXT, "unit": NUL}),
        ("book_list", {"x": NUL}),
    ],
)
def test_nul_in_list_filters_and_search(world, url_name, query):
    response = as_user(world["users"]["admin"]).get(reverse(url_name), query)
    assert response.status_code == 400


def test_nul_in_the_unit_page_year(world):
    url = reverse("unit_page", args=[world["unit"].code])
    assert as_user(world["users"]["staff"]).get(url, {"year": NUL}).status_code == 400


# --- NUL in posted text ------------------------------------------------------------------------


def entry_url(world, quarter=3):
    return reverse("quarter_report", args=[world["indicator"].pk, quarter])


@pytest.mark.parametrize(
    "fields",
    [
        {"narrative": NUL_TEXT},
        {"result": "3\x000"},
        {"version": "1\x00"},
    ],
)
def test_nul_in_the_entry_form_is_a_form_error_and_keeps_the_text(world, fields):
    client = as_user(world["users"]["staff"])
    before = db_snapshot()
    posted = {"result": "30", "narrative": "ข้อความ", "version": "1", "save": "", **fields}
    response = client.post(entry_url(world), posted)
    assert response.status_code == 400
    assert "ข้อความ" in response.text or "รายงาน" in response.text  # the typed text is still there
    assert changed_tables(before, db_snapshot()) == []


def test_nul_in_the_autosaved_narrative_is_refused_with_a_message(world):
    client = as_user(world["users"]["staff"])
    before = db_snapshot()
    url = reverse("quarter_autosave", args=[world["indicator"].pk, 3])
    response = client.post(url, {"narrative": NUL_TEXT, "version": "1"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid" and "อักขระ NUL" in response.json()["message"]
    assert changed_tables(before, db_snapshot()) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"comment": NUL_TEXT, "return": ""},
        {"comment": NUL_TEXT, "accept": "", "score": "90"},
        {"score": "9\x000", "accept": ""},
        {"criterion_1": NUL, "accept": "", "score": "90"},
    ],
)
def test_nul_in_the_review_form_is_a_form_error(world, fields):
    client = as_user(world["users"]["auditor"])
    before = db_snapshot()
    url = reverse("quarter_review", args=[world["indicator"].pk, 1])
    response = client.post(url, {"version": "4", **fields})
    assert response.status_code == 400
    assert changed_tables(before, db_snapshot()) == []


def test_nul_in_the_reopening_reason_is_refused(world):
    client = as_user(world["users"]["admin"])
    before = db_snapshot()
    response = client.post(reverse("quarter_reopen", args=[world["indicator"].pk, 2]), {"reason": NUL_TEXT})
    assert response.status_code == 302
    assert changed_tables(before, db_snapshot()) == []
    assert "อักขระ NUL" in client.get(response.url).text


@pytest.mark.parametrize("query", ["q=%00&unit=%00", "q=\x00", "a\x00=1", "q=ก\x00"])
def test_nul_in_a_book_order_query(world, query):
    client = as_user(world["users"]["executive"])
    before = db_snapshot()
    response = client.post(reverse("book_order"), {"query": query})
    assert response.status_code == 302 and response.url == reverse("indicator_list")
    assert changed_tables(before, db_snapshot()) == []
    assert "อักขระ NUL" in client.get(response.url).text


@pytest.mark.parametrize("query", ["q=a\r\nX-Injected: 1", "q=%0d%0aX-Injected:%201", "year=\n"])
def test_line_breaks_in_a_book_order_query_stay_out_of_the_headers(world, query):
    response = as_user(world["users"]["executive"]).post(reverse("book_order"), {"query": query})
    assert response.status_code == 302
    assert "\n" not in response["Location"] and "\r" not in response["Location"]
    assert "X-Injected" not in response.headers


def test_nul_when_signing_in_again_after_the_session_expired(world):
    posted = {
        "result": "30",
        "narrative": "ข้อความ",
        "version": "1",
        "reauth_username": "somchai\x00",
        "reauth_password": "x\x00",
    }
    response = Client().post(entry_url(world), posted)
    assert response.status_code == 401


@pytest.mark.parametrize("code", ["12\x003456", "abcde\x00fghij", "\x00"])
def test_nul_in_the_two_step_code_when_signing_in_again(world, code):
    """An auditor with an app and recovery codes whose session expired on a page."""
    auditor = world["users"]["auditor"]
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=auditor, name="recovery", confirmed=True)
    StaticToken.objects.create(device=recovery, token="abcdefghij")
    posted = {
        "result": "30",
        "narrative": "ข้อความ",
        "version": "1",
        "reauth_username": "auditor",
        "reauth_password": "pass",
        "reauth_code": code,
    }
    response = Client().post(entry_url(world), posted)
    assert response.status_code == 401 and StaticToken.objects.count() == 1


def test_nul_when_signing_in(world):
    response = Client().post(reverse("login"), {"username": "somchai\x00", "password": "x\x00y"})
    assert response.status_code in (200, 400)


def test_nul_in_the_session_and_language_cookies(world):
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    client.cookies["django_language"] = "th\x00"
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("indicator_list")).status_code == 302


def test_nul_in_admin_forms_and_search(world):
    client = as_user(world["users"]["admin"])
    unit = world["unit"]
    response = client.post(
        reverse("admin:indicators_orgunit_change", args=[unit.pk]),
        {"code": unit.code, "name": "ชื่อ\x00", "kind": unit.kind},
    )
    assert response.status_code == 200  # the form again, with its error
    assert client.get(reverse("admin:indicators_indicator_changelist"), {"q": NUL}).status_code == 400


@pytest.mark.parametrize(
    "text, expected",
    [
        ("สั้น", "สั้น"),
        ("ก" * 100, "ก" * 100),
        ("ก" * 101, "ก" * 99 + "…"),
        # Cut inside ที่ (ท + ี + ่): the whole letter goes, not only its marks.
        ("ก" * 97 + "ที่" + "ข" * 10, "ก" * 97 + "…"),
        ("ก" * 98 + "ที่" + "ข" * 10, "ก" * 98 + "…"),
    ],
    ids=["short", "100", "101", "cut-in-a-letter", "cut-in-its-marks"],
)
def test_shortened_change_reasons_keep_letters_whole(text, expected):
    assert shortened(text, 100) == expected
    assert len(shortened(text, 100)) <= 100


# --- ids that are not ids in the admin -----------------------------------------------------------


def registered_admins():
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_malformed_ids_in_admin_history_pages_are_not_found(world):
    """django-simple-history's pages fed "abc" to the database (ValueError, a 500)."""
    client = as_user(world["users"]["admin"])
    checked = 0
    for model, model_admin in registered_admins():
        if not hasattr(model_admin, "history_form_view"):
            continue
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}"
        for url in (f"{base}/abc/history/", f"{base}/abc/history/1/", f"{base}/1/history/abc/"):
            assert client.get(url).status_code == 404, url
        checked += 1
    assert checked >= 10  # the registry's and the reports' models keep a history


def test_a_malformed_selection_for_an_admin_action_changes_nothing(world):
    """``_selected_action=abc`` reached ``pk__in`` (ValueError, a 500) on every admin list
    with actions, the packages' own (axes, django-otp, tasks) included."""
    client = as_user(world["users"]["admin"])
    before = db_snapshot()
    checked = 0
    posted = {"action": "delete_selected", "_selected_action": ["1", "abc"], "index": "0"}
    for model, _model_admin in registered_admins():
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        response = client.post(url, posted)
        assert response.status_code in (302, 403), (url, response.status_code)
        checked += 1
    assert checked == len(registered_admins()) > 20
    assert changed_tables(before, db_snapshot()) == []
    response = client.post(
        "/admin/indicators/fiscalquarter/",
        {"action": "delete_selected", "_selected_action": "abc", "index": "0"},
        follow=True,
    )
    assert "อ่านรายการที่เลือกไม่ได้" in response.text
