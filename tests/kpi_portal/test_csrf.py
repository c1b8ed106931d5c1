"""Cross-site request forgery: a POST without the CSRF cookie and token is refused on
every URL the project serves, changes nothing, and the refusal page carries nothing
that could be sent again (issue 8, item 1). The URLs come from the resolver, so a new
URL is covered as soon as it exists."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from indicators.audit import AuditEvent
from reports.models import QuarterReport
from tests.factories import make_indicator, make_unit
from tests.web import changed_tables, db_snapshot, make_world, parse_page, portal_urls, project_urls

pytestmark = pytest.mark.django_db

CROSS_SITE = {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
NO_HEADERS = {}  # an old browser, or a proxy that strips them
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def marker(name: str) -> str:
    return f"forged-{name}-q7x"


@pytest.fixture
def world(db, settings, tmp_path):
    return make_world(settings, tmp_path)


def forged_body(world) -> dict:
    """What an attacker's page would post: every field of every form that changes something."""
    text_fields = ["comment", "reason", "narrative", "username", "password", "reauth_username"]
    text_fields += ["reauth_password", "query", "name", "title", "code", "first_name", "next"]
    return {
        **{name: marker(name) for name in text_fields},
        "accept": "1",
        "score": "0",
        "criterion_1": "0",
        "criterion_2": "0",
        "is_verification": "on",
        "version": str(world["submitted"].version),
        "result": "99",
        "submit": "",
        "action": "delete_selected",
        "_selected_action": [str(world["indicator"].pk)],
        "post": "yes",
        "is_superuser": "on",
    }


def clients(world) -> dict[str, Client]:
    signed_in = {"anonymous": Client(enforce_csrf_checks=True)}
    for role, user in world["users"].items():
        client = Client(enforce_csrf_checks=True)  # a session cookie, no CSRF cookie, no token
        client.force_login(user)
        signed_in[role] = client
    return signed_in


def form_actions(html: str) -> set[str]:
    return {form.action for form in parse_page(html).forms}


def test_every_url_refuses_a_forged_post_and_echoes_nothing_that_can_be_sent_again(world):
    urls = project_urls(world)
    assert len(urls) > 40  # the portal's and the admin's URLs
    body = forged_body(world)
    chrome = {reverse("set_language"), reverse("logout")}  # the page's own language and sign-out forms
    entry_url = reverse("quarter_report", args=[world["indicator"].pk, 3])
    signed_in = clients(world)
    # Who posts, and what the browser says about where from. Cookies and headers are the
    # attacker's to choose only in part: a signed-in victim's browser may send the session
    # cookie (no SameSite support) but never a same-origin Sec-Fetch-Site for a forged post.
    # The same-origin cases stand for a stale token on the portal's own pages.
    # (The admin's many URLs share one CSRF mechanism: they are posted to by fewer of them.)
    combinations = [
        ("anonymous", CROSS_SITE, urls),
        ("staff", NO_HEADERS, urls),
        ("staff", SAME_ORIGIN, urls),
        ("staff", CROSS_SITE, portal_urls(urls)),
        ("auditor", SAME_ORIGIN, portal_urls(urls)),
        ("admin", SAME_ORIGIN, portal_urls(urls)),
    ]
    before = db_snapshot()
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for role, headers, urls_posted in combinations:
        for name, url in urls_posted:
            response = signed_in[role].post(url, body, headers=headers)
            where = (role, headers, name, url)
            assert response.status_code == 403, where
            html = response.content.decode()
            gives_back_the_entry = role == "staff" and headers is SAME_ORIGIN and url == entry_url
            echoed = {field for field in body if marker(field) in html}
            assert echoed == ({"narrative"} if gives_back_the_entry else set()), where
            assert form_actions(html) <= chrome | ({entry_url} if gives_back_the_entry else set()), where
    # Nothing changed but the audit log, where each refusal is written once, echoing nothing posted.
    assert changed_tables(before, db_snapshot()) == ["indicators.AuditEvent"]
    written = AuditEvent.objects.filter(pk__gt=first_event)
    assert written.count() == sum(len(urls_posted) for _role, _headers, urls_posted in combinations)
    assert set(written.values_list("kind", flat=True)) == {AuditEvent.Kind.REFUSED}
    assert not any(marker(field) in str(row) for row in written.values_list() for field in body)


def test_the_review_forgery_of_the_issue_is_refused(world):
    """A forged accept with score 0 for the auditor (the reproduction in issue 8)."""
    report = world["submitted"]
    url = reverse("quarter_review", args=[world["indicator"].pk, 1])
    forged = {"accept": "1", "score": "0", "criterion_1": "0", "criterion_2": "0", "version": report.version}
    for client in (clients(world)["auditor"], Client(enforce_csrf_checks=True)):
        for headers in (CROSS_SITE, NO_HEADERS):
            response = client.post(url, forged, headers=headers)
            assert response.status_code == 403
            page = parse_page(response.content.decode())
            assert all(form.action != url for form in page.forms)
            assert not re.search(r'name="(accept|score|criterion_1|criterion_2|version)"', response.text)
    report.refresh_from_db()
    assert report.status == "submitted" and report.version == 4
    assert not world["indicator"].scores.exists()


def test_a_sign_in_without_the_token_never_shows_the_password(world):
    password = "Geheim-Passwort-1!"
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "somchai", "password": password, "next": "/"}, headers=CROSS_SITE
    )
    assert response.status_code == 403
    assert password not in response.text and "password" not in form_actions(response.text)
    assert 'type="password"' not in response.text


def test_the_refusal_explains_itself_and_links_back(world):
    response = Client(enforce_csrf_checks=True).post(reverse("book_order"), {"query": ""})
    assert response.status_code == 403
    assert "รหัสความปลอดภัยของหน้าเว็บหมดอายุ" in response.text
    assert 'href="/indicators/"' in response.text


def test_the_entry_text_comes_back_editable_and_saves_only_a_draft(world):
    """Same-origin, signed-in, the entry form: the typed text comes back in a form the user
    sees and edits, which saves a draft; "submit" and other fields are not carried."""
    client = clients(world)["staff"]
    url = reverse("quarter_report", args=[world["indicator"].pk, 3])
    typed = {"result": "75", "narrative": "ข้อความที่พิมพ์\nสองบรรทัด", "version": "1", "submit": ""}
    response = client.post(url, {**typed, "accept": "1"}, headers=SAME_ORIGIN)
    assert response.status_code == 403
    (form,) = [form for form in parse_page(response.text).forms if form.action == url]
    fields = dict(form.fields)
    assert sorted(fields) == ["csrfmiddlewaretoken", "narrative", "result", "version"]
    assert (fields["result"], fields["narrative"], fields["version"]) == ("75", typed["narrative"], "1")
    assert form.submit == ("save", "")
    assert re.search(r'<textarea[^>]*name="narrative"', response.text)  # visible, editable
    resent = client.post(url, form.query(), content_type="application/x-www-form-urlencoded")
    assert resent.status_code == 302
    report = QuarterReport.objects.get(pk=world["draft"].pk)
    assert (report.status, report.narrative, str(report.result)) == ("draft", typed["narrative"], "75.00")


@pytest.mark.parametrize("headers", [CROSS_SITE, NO_HEADERS, {"Sec-Fetch-Site": "same-site"}])
def test_the_entry_text_is_not_given_back_to_a_post_from_elsewhere(world, headers):
    client = clients(world)["staff"]
    url = reverse("quarter_report", args=[world["indicator"].pk, 3])
    response = client.post(url, {"narrative": marker("narrative"), "version": "1"}, headers=headers)
    assert response.status_code == 403 and marker("narrative") not in response.text
    assert url not in form_actions(response.text)


def test_the_entry_text_is_not_given_back_for_another_units_indicator(world):
    other = make_indicator(world["indicator"].fiscal_year, make_unit("5001"))
    url = reverse("quarter_report", args=[other.pk, 1])
    response = clients(world)["staff"].post(
        url, {"narrative": marker("narrative"), "version": "0"}, headers=SAME_ORIGIN
    )
    assert response.status_code == 403 and marker("narrative") not in response.text


def test_the_session_page_gives_back_only_the_entry_fields(world):
    """The "session expired" page (the CSRF check passed): no password, no other field."""
    url = reverse("quarter_report", args=[world["indicator"].pk, 3])
    posted = {
        "result": "75",
        "narrative": "ข้อความที่พิมพ์ไว้",
        "version": "1",
        "submit": "",
        "accept": "1",
        "comment": marker("comment"),
        "password": marker("password"),
        "reauth_username": "somchai",
        "reauth_password": marker("reauth_password"),
        "reauth_code": marker("reauth_code"),
        "is_superuser": "on",
    }
    before = db_snapshot()
    response = Client().post(url, posted)
    assert response.status_code == 401
    html = response.content.decode()
    assert "ข้อความที่พิมพ์ไว้" in unescape(html)
    assert marker("password") not in html and marker("reauth_password") not in html
    assert marker("reauth_code") not in html and marker("comment") not in html
    (form,) = [form for form in parse_page(html).forms if form.action == url]
    assert sorted(dict(form.fields)) == [
        "csrfmiddlewaretoken",
        "narrative",
        "reauth_code",
        "reauth_password",
        "reauth_username",
        "result",
        "version",
    ]
    fields = dict(form.fields)
    assert fields["reauth_password"] == fields["reauth_code"] == "" and form.submit == ("save", "")
    # Only the failed sign-in was counted (django-axes) and written to the audit log (with
    # the username only); no report changed.
    assert [label for label in changed_tables(before, db_snapshot()) if not label.startswith("axes.")] == [
        "indicators.AuditEvent"
    ]
    (event,) = AuditEvent.objects.all()
    assert (event.kind, event.username) == (AuditEvent.Kind.SIGN_IN_FAILED, "somchai")
    assert not any(marker(field) in str(value) for value in event.__dict__.values() for field in posted)
