"""Two-factor sign-in (issue 8, item 11): required for auditors, administrators and the
admin site, optional for unit staff and executives; codes throttled; recovery codes
work once; the session-expiry re-sign-in asks for the code and still saves the text.

These tests sign in through the real pages with plain clients (never ``force_login``,
which tests/conftest.py completes the second factor for)."""

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from indicators.models import FiscalQuarter, Role
from reports.models import QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user
from tests.two_factor_codes import code_from_secret, next_code, secret_on_page

pytestmark = pytest.mark.django_db

SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/"
CODES = "/account/two-factor/recovery-codes/"
SECURITY = "/account/security/"
WRONG_CODE_TEXT = "รหัสไม่ถูกต้อง"
WAIT_TEXT = "ใส่รหัสผิดหลายครั้งเกินไป"
RECOVERY_CODE = re.compile(r"<li class=\"col\">([a-z2-7]{5}-[a-z2-7]{5})</li>")


def sign_in(client, username, password="pass", next_url="/indicators/"):
    response = client.post(reverse("login"), {"username": username, "password": password, "next": next_url})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def enrol(client, next_url="/indicators/") -> list[str]:
    """Set up an app through the enrolment page (reading the key as a person types it)."""
    page = client.get(SETUP, {"next": next_url})
    assert page.status_code == 200
    code = code_from_secret(secret_on_page(page.text))
    response = client.post(SETUP, {"code": code, "next": next_url})
    assert response.status_code == 302 and response.url.startswith(CODES)
    shown = client.get(response.url)
    assert shown.status_code == 200
    return RECOVERY_CODE.findall(shown.text)


def app_of(username) -> TOTPDevice:
    return TOTPDevice.objects.get(user__username=username, confirmed=True)


def with_app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


# --- every page is closed until the second factor --------------------------------------------

OPEN_BEFORE_VERIFYING = {
    "login",
    "logout",
    "set_language",
    "session_keepalive",
    "two_factor:verify",
    "two_factor:setup",
    "two_factor:recovery_codes",
}
SAMPLE_ARGUMENTS = {
    "pk": 1,
    "quarter": 1,
    "evidence_id": 1,
    "code": "1001",
    "object_id": "1",
    "id": 1,
    "app_label": "auth",
    "content_type_id": 1,
    "url": "x/",
}


def every_named_url():
    """(view name, path) for every named URL pattern of the portal and the admin."""
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                regex = entry.pattern.regex
                parameters = getattr(entry.pattern, "converters", None) or regex.groupindex
                if parameters:
                    url = reverse(name, kwargs={key: SAMPLE_ARGUMENTS[key] for key in parameters})
                else:
                    url = reverse(name, args=["1"] * regex.groups)
                found.append((name, url))

    walk(get_resolver().url_patterns, None)
    return sorted(set(found))


def test_the_walk_covers_the_portal_and_the_admin():
    names = {name for name, _ in every_named_url()}
    assert {"home", "indicator_list", "quarter_review", "review_queue", "two_factor:security"} <= names
    assert {"admin:index", "admin:auth_user_changelist", "admin:auth_user_change"} <= names
    assert len(names) > 60


def test_an_auditor_reaches_no_page_before_setting_up_the_second_factor():
    make_user("somsri", role=Role.AUDITOR)
    client = Client()
    sign_in(client, "somsri")
    for name, url in every_named_url():
        if name in OPEN_BEFORE_VERIFYING:
            continue
        for response in (client.get(url), client.post(url, {"reason": "x", "accept": ""})):
            assert response.status_code == 302, (name, url, response.status_code)
            assert response.url.startswith(SETUP + "?next="), (name, response.url)


def test_an_administrator_with_an_app_reaches_no_page_before_the_code():
    with_app(make_user("somchai", role=Role.ADMINISTRATOR))
    client = Client()
    sign_in(client, "somchai")
    for name, url in every_named_url():
        if name not in OPEN_BEFORE_VERIFYING:
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(VERIFY + "?next="), name


@pytest.mark.parametrize(
    ("role", "flags"),
    [(Role.UNIT_STAFF, {"is_staff": True}), (Role.EXECUTIVE, {"is_superuser": True, "is_staff": True})],
    ids=["admin-site user", "superuser"],
)
def test_admin_site_users_need_the_second_factor_whatever_their_role(role, flags):
    make_user("somsri", role=role, **flags)
    client = Client()
    sign_in(client, "somsri")
    for url in ("/", "/indicators/", "/admin/", "/admin/auth/user/", SECURITY):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(SETUP + "?next="), url


def test_the_open_pages_stay_open_before_verifying():
    make_user("somsri", role=Role.AUDITOR)
    client = Client()
    sign_in(client, "somsri")
    assert client.get(SETUP).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("session_keepalive")).status_code == 204
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


# --- required roles: enrolment at the first sign-in --------------------------------------------


def test_first_sign_in_of_an_auditor_sets_up_an_app_and_shows_recovery_codes_once():
    make_user("auditor", role=Role.AUDITOR, password="kpi-demo-only")
    client = Client()
    response = sign_in(client, "auditor", "kpi-demo-only", next_url="/review/")
    response = client.get(response.url)
    assert response.status_code == 302 and response.url == SETUP + "?next=%2Freview%2F"

    page = client.get(response.url)
    html = page.text
    assert "ตั้งค่าการยืนยันตัวตนสองขั้นตอน" in html
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"]+"', html)
    assert " style=" not in html and "<style" not in html
    secret = secret_on_page(html)
    assert len(secret) == 20  # 160 bits, shown for typing too
    assert TOTPDevice.objects.filter(user__username="auditor", confirmed=False).count() == 1

    wrong = client.post(SETUP, {"code": "000000", "next": "/review/"})
    assert wrong.status_code == 400 and WRONG_CODE_TEXT in wrong.text
    assert secret_on_page(wrong.text) == secret  # the same key: what the app holds stays valid
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)

    response = client.post(SETUP, {"code": code_from_secret(secret), "next": "/review/"})
    assert response.status_code == 302 and response.url == CODES + "?next=%2Freview%2F"
    shown = client.get(response.url)
    codes = RECOVERY_CODE.findall(shown.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in shown.headers["Cache-Control"]
    assert 'href="/review/"' in shown.text
    assert client.get(CODES).url == SECURITY  # shown once
    assert client.get("/review/").status_code == 200
    assert app_of("auditor").bin_key == secret


def test_an_auditor_with_an_app_gives_its_code_after_the_password():
    auditor = make_user("auditor", role=Role.AUDITOR)
    device = with_app(auditor)
    client = Client()
    sign_in(client, "auditor")
    response = client.get("/review/")
    assert response.status_code == 302 and response.url == VERIFY + "?next=%2Freview%2F"
    page = client.get(response.url)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text
    key_before = client.session.session_key
    response = client.post(VERIFY, {"code": next_code(device), "next": "/review/"})
    assert response.status_code == 302 and response.url == "/review/"
    assert client.session.session_key != key_before  # a new session key once verified
    assert client.get("/review/").status_code == 200


def test_the_code_page_sends_only_to_this_site():
    device = with_app(make_user("auditor", role=Role.AUDITOR))
    client = Client()
    sign_in(client, "auditor")
    response = client.post(VERIFY, {"code": next_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/"


def test_an_app_cannot_be_replaced_without_the_current_one():
    device = with_app(make_user("auditor", role=Role.AUDITOR))
    client = Client()
    sign_in(client, "auditor")
    response = client.get(SETUP)
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    response = client.post(SETUP, {"code": "123456"})
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    assert list(TOTPDevice.objects.values_list("pk", flat=True)) == [device.pk]


# --- throttling, replay, recovery codes --------------------------------------------------------


def test_wrong_codes_are_throttled(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute after the first wrong code, then 2, 4 ...
    device = with_app(make_user("auditor", role=Role.AUDITOR))
    client = Client()
    sign_in(client, "auditor")
    wrong = client.post(VERIFY, {"code": "000000"})
    assert wrong.status_code == 400 and WRONG_CODE_TEXT in wrong.text
    # Now even the right code waits: it is not even looked at.
    throttled = client.post(VERIFY, {"code": next_code(device)})
    assert throttled.status_code == 429 and WAIT_TEXT in throttled.text
    assert re.search(r"รอ (5\d|60) วินาที", throttled.text)
    assert client.get("/review/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # A minute later (moved back in the database: no sleeping), it is accepted.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=61)
    )
    assert client.post(VERIFY, {"code": next_code(device)}).status_code == 302
    assert client.get("/review/").status_code == 200


def test_the_default_throttle_doubles_the_wait():
    device = with_app(make_user("auditor", role=Role.AUDITOR))
    client = Client()
    sign_in(client, "auditor")
    client.post(VERIFY, {"code": "000000"})
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=9, throttling_failure_timestamp=timezone.now()
    )
    response = client.post(VERIFY, {"code": next_code(device)})
    assert response.status_code == 429 and re.search(r"รอ (25[0-6]) วินาที", response.text)  # 2 ** 8 s


def test_a_code_works_once():
    device = with_app(make_user("auditor", role=Role.AUDITOR))
    code = next_code(device)
    first = Client()
    sign_in(first, "auditor")
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = Client()
    sign_in(second, "auditor")
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 400 and WRONG_CODE_TEXT in response.text


def test_a_recovery_code_works_once():
    make_user("admin", role=Role.ADMINISTRATOR)
    client = Client()
    sign_in(client, "admin")
    codes = enrol(client)
    assert len(codes) == 10
    client.post(reverse("logout"))

    # (The dashboard: administrators do not review, the review queue is the auditors'.)
    again = Client()
    sign_in(again, "admin")
    response = again.post(VERIFY, {"code": codes[3].upper(), "next": "/dashboard/"})  # as typed, any case
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert again.get("/dashboard/").status_code == 200
    assert StaticToken.objects.filter(device__user__username="admin").count() == 9

    third = Client()
    sign_in(third, "admin")
    response = third.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 400 and third.get("/dashboard/").status_code == 302
    StaticDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert third.post(VERIFY, {"code": codes[4].replace("-", " ")}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones():
    make_user("admin", role=Role.ADMINISTRATOR)
    client = Client()
    sign_in(client, "admin")
    old = enrol(client)
    response = client.post(reverse("two_factor:new_recovery_codes"))
    assert response.status_code == 302
    new = RECOVERY_CODE.findall(client.get(response.url).text)
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticDevice.objects.filter(user__username="admin").count() == 1
    later = Client()
    sign_in(later, "admin")
    assert later.post(VERIFY, {"code": old[0]}).status_code == 400


# --- the admin site ------------------------------------------------------------------------------


def test_the_admin_site_signs_in_through_the_portal_with_the_second_factor():
    make_user("root", role=Role.EXECUTIVE, is_staff=True, is_superuser=True)
    client = Client()
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = client.get(response.url)
    assert response.status_code == 302 and response.url == "/accounts/login/?next=%2Fadmin%2F"
    sign_in(client, "root", next_url="/admin/")
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url == SETUP + "?next=%2Fadmin%2F"
    assert client.get("/admin/auth/user/").status_code == 302
    enrol(client, next_url="/admin/")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


def test_the_admin_does_not_show_authenticator_keys():
    root = make_user("root", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    device = with_app(make_user("auditor", role=Role.AUDITOR))
    client = Client()
    client.force_login(root)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in page.text


# --- optional for unit staff and executives ----------------------------------------------------


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.EXECUTIVE])
def test_staff_and_executives_sign_in_with_the_password_only(role):
    make_user("somchai", role=role)
    client = Client()
    response = sign_in(client, "somchai", next_url="/indicators/")
    assert response.url == "/indicators/"
    assert client.get("/indicators/").status_code == 200
    security = client.get(SECURITY)
    assert security.status_code == 200 and 'id="two-factor-state"' in security.text


def test_staff_may_turn_it_on_and_are_then_asked_for_the_code():
    make_user("somchai", role=Role.UNIT_STAFF)
    client = Client()
    sign_in(client, "somchai")
    assert client.get("/indicators/").status_code == 200
    enrol(client, next_url=SECURITY)
    assert "เปิดใช้อยู่" in client.get(SECURITY).text
    client.post(reverse("logout"))

    again = Client()
    sign_in(again, "somchai")
    assert again.get("/indicators/").url.startswith(VERIFY)
    assert again.post(VERIFY, {"code": next_code(app_of("somchai"))}).status_code == 302
    assert again.get("/indicators/").status_code == 200

    # Turning it off asks for a current code.
    refused = again.post(reverse("two_factor:turn_off"), {"code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.exists()
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = again.post(reverse("two_factor:turn_off"), {"code": next_code(app_of("somchai"))})
    assert response.status_code == 302 and not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()
    assert again.get("/indicators/").status_code == 200
    third = Client()
    sign_in(third, "somchai")
    assert third.get("/indicators/").status_code == 200


def test_required_roles_cannot_turn_it_off():
    make_user("auditor", role=Role.AUDITOR)
    client = Client()
    sign_in(client, "auditor")
    enrol(client)
    code = next_code(app_of("auditor"))
    response = client.post(reverse("two_factor:turn_off"), {"code": code}, follow=True)
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1
    assert "ปิดไม่ได้" in response.text


def test_the_pages_speak_english_too():
    make_user("auditor", role=Role.AUDITOR)
    client = Client()
    client.cookies["django_language"] = "en"
    sign_in(client, "auditor")
    html = client.get(SETUP).text
    assert "Set up two-step sign-in" in html and "authenticator app" in html


# --- the session-expiry re-sign-in on the entry page -------------------------------------------


@pytest.fixture
def entry(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    year = make_fiscal_year(2568)
    for quarter in (1, 2, 3, 4):
        FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=f"2099-0{quarter}-15")
    unit = make_unit("5016")
    staff = make_user("somchai", Role.UNIT_STAFF, [unit], password="pw-staff-1")
    indicator = make_indicator(year, unit)
    return staff, reverse("quarter_report", args=[indicator.pk, 1]), indicator


def test_the_session_expiry_re_sign_in_asks_for_the_code_and_saves_the_text(entry):
    staff, url, indicator = entry
    device = with_app(staff)
    typed = {"result": "42", "narrative": "ข้อความยาวที่พิมพ์ไว้ก่อนหมดเวลา", "version": "0", "save": ""}
    client = Client()  # the session has expired: the POST arrives anonymous
    page = client.post(url, typed)
    assert page.status_code == 401 and 'name="reauth_code"' in page.text
    assert "ข้อความยาวที่พิมพ์ไว้ก่อนหมดเวลา" in page.text

    credentials = {"reauth_username": "somchai", "reauth_password": "pw-staff-1"}
    for code in ("", "000000"):
        response = client.post(url, {**typed, **credentials, "reauth_code": code})
        assert response.status_code == 401 and "ข้อความยาวที่พิมพ์ไว้ก่อนหมดเวลา" in response.text
        assert f'value="{code}"' not in response.text or code == ""  # the code is not echoed
        assert "_auth_user_id" not in client.session
    assert not QuarterReport.objects.exists()
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)

    response = client.post(url, {**typed, **credentials, "reauth_code": next_code(device)})
    assert response.status_code == 302
    assert QuarterReport.objects.get(indicator=indicator).narrative == "ข้อความยาวที่พิมพ์ไว้ก่อนหมดเวลา"
    assert client.get(url).status_code == 200  # signed in and verified: no detour to the code page


def test_the_re_sign_in_without_an_app_needs_no_code(entry):
    _, url, indicator = entry
    client = Client()
    typed = {"result": "1", "narrative": "ไม่มีแอป", "version": "0", "save": ""}
    response = client.post(url, {**typed, "reauth_username": "somchai", "reauth_password": "pw-staff-1"})
    assert response.status_code == 302
    assert QuarterReport.objects.get(indicator=indicator).narrative == "ไม่มีแอป"


# --- resetting a lost phone ----------------------------------------------------------------------


def test_reset_two_factor_removes_the_app_and_ends_the_sessions():
    make_user("auditor", role=Role.AUDITOR)
    make_user("somchai", role=Role.UNIT_STAFF)
    client = Client()
    sign_in(client, "auditor")
    enrol(client)
    bystander = Client()
    sign_in(bystander, "somchai")
    assert client.get("/review/").status_code == 200

    call_command("reset_two_factor", "auditor", "--dry-run")
    assert TOTPDevice.objects.count() == 1 and Session.objects.count() == 2

    call_command("reset_two_factor", "auditor")
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert client.get("/review/").url.startswith("/accounts/login/")  # signed out
    assert bystander.get("/indicators/").status_code == 200
    again = Client()
    sign_in(again, "auditor")
    assert again.get("/review/").url.startswith(SETUP)  # sets up the new phone

    with pytest.raises(CommandError, match="nobody"):
        call_command("reset_two_factor", "nobody")
