"""Sign-in safety: lockout (django-axes), idle session expiry and its warning,
the keep-alive, the Content-Security-Policy and the deployment checks."""

import datetime
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import kpi_portal.settings as production
from indicators.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
OFFICE = "203.0.113.10"  # a whole city hall signs in from one address
HOME = "198.51.100.7"
LOCKOUT_TEXT = "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป"
LOCKOUT_DETAIL = "ระบบระงับการเข้าสู่ระบบของผู้ใช้นี้ไว้ 15 นาที"
WRONG_PASSWORD_TEXT = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
WARNING_TEXT = "ระบบจะออกจากระบบอัตโนมัติในอีก 2 นาที"
EXPIRED_TEXT = "หมดเวลาการใช้งานแล้ว"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def axes_on(settings):
    """tests/settings.py turns axes off for plain authenticate() calls; on here."""
    settings.AXES_ENABLED = True


def sign_in(client, username, password, ip=OFFICE):
    return client.post(
        reverse("login"), {"username": username, "password": password, "next": "/indicators/"}, REMOTE_ADDR=ip
    )


def signed_in(client):
    return "_auth_user_id" in client.session


# --- sign-in lockout ---------------------------------------------------------------------------


def test_axes_configuration():
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert getattr(production, "AXES_ENABLED", True) is True  # on outside the tests
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert django_settings.AXES_COOLOFF_TIME == datetime.timedelta(minutes=15)
    assert django_settings.AXES_RESET_ON_SUCCESS is True
    assert django_settings.AXES_HANDLER == "kpi_portal.sign_in_limits.PortalAxesHandler"
    assert django_settings.SIGN_IN_ADDRESS_FAILURE_LIMIT == 100


def test_five_failures_lock_the_username_at_that_address_only(axes_on):
    make_user("somchai", password="right-password")
    make_user("malee", password="her-password")
    client = Client()
    for _ in range(4):
        response = sign_in(client, "somchai", "wrong")
        assert response.status_code == 200 and WRONG_PASSWORD_TEXT in response.text
    response = sign_in(client, "somchai", "wrong")
    assert response.status_code == 429 and LOCKOUT_TEXT in response.text

    # Locked: even the right password is refused.
    response = sign_in(client, "somchai", "right-password")
    assert response.status_code == 429 and not signed_in(client)

    # A colleague in the same building (same address) still signs in ...
    colleague = Client()
    assert sign_in(colleague, "malee", "her-password").status_code == 302 and signed_in(colleague)
    # ... and so does the same user from another address.
    elsewhere = Client()
    response = sign_in(elsewhere, "somchai", "right-password", ip=HOME)
    assert response.status_code == 302 and signed_in(elsewhere)


def test_lockout_page_explains_in_thai_and_keeps_the_username(axes_on):
    make_user("somchai", password="right-password")
    client = Client()
    for _ in range(5):
        response = sign_in(client, "somchai", "wrong")
    assert response.status_code == 429
    assert [t.name for t in response.templates][0] == "registration/login.html"
    html = response.text
    assert LOCKOUT_TEXT in html and LOCKOUT_DETAIL in html
    assert WRONG_PASSWORD_TEXT not in html  # one clear message, not two
    assert re.search(r'<input[^>]*name="username"[^>]*value="somchai"', html)
    assert 'name="next" value="/indicators/"' in html
    assert "Content-Security-Policy" in response.headers


def test_lockout_page_in_english(axes_on):
    make_user("somchai", password="right-password")
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(5):
        response = sign_in(client, "somchai", "wrong")
    assert "Too many failed sign-in attempts." in response.text
    assert "blocked for 15 minutes" in response.text


def test_a_successful_sign_in_resets_the_count(axes_on):
    make_user("somchai", password="right-password")
    for _ in range(4):
        sign_in(Client(), "somchai", "wrong")
    assert sign_in(Client(), "somchai", "right-password").status_code == 302
    for _ in range(4):
        assert sign_in(Client(), "somchai", "wrong").status_code == 200
    client = Client()
    assert sign_in(client, "somchai", "right-password").status_code == 302 and signed_in(client)


# --- password spraying: a limit per address across usernames ------------------------------------

SPRAYER = "192.0.2.66"
ADDRESS_LOCKOUT_TEXT = "มีการลงชื่อเข้าใช้ผิดจากเครือข่ายของท่านหลายครั้งเกินไป"


def test_an_office_behind_one_address_survives_everyones_typos(axes_on):
    # 30 colleagues behind the city hall's one address each mistype twice (60 failures),
    # then all sign in. (One test client plays every office PC: a new client per
    # request costs a tenth of a second of set-up; no cookie is kept between people.)
    staff = [make_user(f"office{n}", password=f"right-{n}") for n in range(30)]
    office_pc = Client()
    for user in staff:
        for _ in range(2):
            office_pc.cookies.clear()
            response = sign_in(office_pc, user.username, "typo")
            assert response.status_code == 200 and WRONG_PASSWORD_TEXT in response.text
    for n, user in enumerate(staff):
        office_pc.cookies.clear()
        response = sign_in(office_pc, user.username, f"right-{n}")
        assert response.status_code == 302 and signed_in(office_pc), user.username


def test_a_password_spray_from_one_address_is_stopped(axes_on):
    make_user("victim", password="Summer2568!")
    make_user("colleague", password="her-own-password")
    # The colleague signed in on this office PC before: the browser remembers it.
    desk = Client()
    assert sign_in(desk, "colleague", "her-own-password", ip=SPRAYER).status_code == 302
    desk.post(reverse("logout"))

    # One password against 100 usernames, once each: no username reaches its own limit of 5.
    attacker = Client()
    for n in range(99):
        response = sign_in(attacker, f"user{n:03d}", "Summer2568!", ip=SPRAYER)
        assert response.status_code == 200, n
    response = sign_in(attacker, "user099", "Summer2568!", ip=SPRAYER)
    assert response.status_code == 429 and ADDRESS_LOCKOUT_TEXT in response.text

    # Blocked now, even where the sprayed password is right (the sprayer learns nothing) ...
    response = sign_in(attacker, "victim", "Summer2568!", ip=SPRAYER)
    assert response.status_code == 429 and not signed_in(attacker)
    assert ADDRESS_LOCKOUT_TEXT in response.text and "15 นาที" in response.text
    # ... from the same address, the colleague on her usual PC still signs in ...
    assert sign_in(desk, "colleague", "her-own-password", ip=SPRAYER).status_code == 302 and signed_in(desk)
    # ... and another address is not affected.
    elsewhere = Client()
    assert sign_in(elsewhere, "victim", "Summer2568!", ip=HOME).status_code == 302 and signed_in(elsewhere)


def test_the_known_browser_cookie_cannot_be_forged(axes_on, settings):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 10
    make_user("victim", password="Summer2568!")
    forged = Client()
    for n in range(10):
        sign_in(forged, f"user{n:03d}", "guess", ip=SPRAYER)
    forged.cookies["kpi_known_browser"] = '["victim"]'
    response = sign_in(forged, "victim", "Summer2568!", ip=SPRAYER)
    assert response.status_code == 429 and not signed_in(forged)


def settings_printed(code: str, **environment) -> list[str]:
    """What ``code`` prints in a fresh process set up with ``environment`` (and debug on)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "kpi_portal.settings",
        **environment,
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_address_limit_comes_from_the_environment():
    code = "from django.conf import settings as s; print(s.SIGN_IN_ADDRESS_FAILURE_LIMIT)"
    assert settings_printed(code, SIGN_IN_ADDRESS_FAILURE_LIMIT="250") == ["250"]


def test_limits_come_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "s.SESSION_COOKIE_AGE, s.SESSION_REFRESH_SECONDS)"
    )
    environment = {"AXES_FAILURE_LIMIT": "7", "AXES_COOLOFF_MINUTES": "20", "SESSION_IDLE_MINUTES": "3"}
    assert settings_printed(code, **environment) == ["7", "1200", "180", "60"]


# --- idle session expiry -----------------------------------------------------------------------


def test_sessions_end_after_30_idle_minutes_and_every_request_renews_them():
    assert production.SESSION_IDLE_MINUTES == 30
    assert production.SESSION_COOKIE_AGE == 30 * 60 == django_settings.SESSION_COOKIE_AGE
    assert "kpi_portal.middleware.SlidingSessionMiddleware" in production.MIDDLEWARE
    assert production.SESSION_COOKIE_HTTPONLY is True
    # Expiry kept server-side: Django's database sessions (their read written once as SQL).
    assert django_settings.SESSION_ENGINE == "kpi_portal.sessions"
    assert issubclass(import_module(django_settings.SESSION_ENGINE).SessionStore, db.SessionStore)


def _session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_a_request_pushes_the_server_side_expiry_back(settings, executive_client):
    # The last refresh was over a minute ago: the next request pushes the expiry back.
    session = executive_client.session
    session["_refreshed_at"] = int(time.time()) - 61
    session.save()
    Session.objects.filter(pk=_session_row(executive_client).pk).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=10)
    )
    response = executive_client.get(reverse("indicator_list"))
    assert response.status_code == 200
    expected = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs(_session_row(executive_client).expire_date - expected) < datetime.timedelta(seconds=5)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


def test_an_expired_session_is_signed_out(executive_client):
    Session.objects.filter(pk=_session_row(executive_client).pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = executive_client.get(reverse("indicator_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_signed_in_pages_carry_the_timeout_and_the_warning(executive_client):
    html = executive_client.get(reverse("indicator_list")).text
    assert re.search(r'<body[^>]*\sdata-session-idle-seconds="1800"', html)
    assert re.search(r'<script src="/static/js/session-timeout\.js" defer></script>', html)
    assert re.search(r'<meta name="csrf-token" content="[A-Za-z0-9]{64}">', html)
    warning = re.search(r'<div id="session-timeout-warning"[^>]*>', html).group(0)
    assert " hidden" in warning and f'data-keepalive-url="{reverse("session_keepalive")}"' in warning
    assert WARNING_TEXT in html and EXPIRED_TEXT in html and "อยู่ในระบบต่อ" in html


def test_the_sign_in_page_has_no_timeout_script(client):
    html = client.get(reverse("login")).text
    assert "session-timeout" not in html and "data-session-idle-seconds" not in html
    assert "csrf-token" not in html


def test_the_script_holds_no_user_visible_text():
    script = (BASE_DIR / "static/js/session-timeout.js").read_text(encoding="utf-8")
    assert not re.search(r"[\u0e00-\u0e7f]", script)  # no Thai
    assert "data-session-idle-seconds" in script and "csrf-token" in script
    strings = re.findall(r'"([^"\\]*)"', re.sub(r"/\*.*?\*/|//[^\n]*", "", script, flags=re.S))
    assert not [s for s in strings if " " in s.strip() and s != "use strict"]  # only names, no sentences


# --- keep-alive -------------------------------------------------------------------------------


def test_keepalive_needs_a_signed_in_user(client):
    url = reverse("session_keepalive")
    for response in (client.post(url), client.get(url)):
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_keepalive_only_accepts_post(executive_client):
    assert executive_client.get(reverse("session_keepalive")).status_code == 405


def test_keepalive_renews_the_session(executive):
    client = Client(enforce_csrf_checks=True)
    client.force_login(executive)
    html = client.get(reverse("indicator_list")).text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=10)
    )
    url = reverse("session_keepalive")
    assert client.post(url).status_code == 403  # no CSRF token
    response = client.post(url, headers={"X-CSRFToken": token})
    assert response.status_code == 204 and response.content == b""
    assert "no-cache" in response.headers["Cache-Control"]
    remaining = _session_row(client).expire_date - timezone.now()
    assert remaining > datetime.timedelta(seconds=django_settings.SESSION_COOKIE_AGE - 5)


# --- Content-Security-Policy and inline script --------------------------------------------------


@pytest.fixture
def admin_client_(client):
    admin = make_user("root", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client, admin


def csp_directives(response):
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_csp_header(client):
    directives = csp_directives(client.get(reverse("login")))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["font-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in directives.values() for value in values)


def test_pages_have_the_csp_header_and_no_inline_script_or_style(admin_client_):
    admin_client, admin = admin_client_
    anonymous = Client()
    pages = [
        (anonymous, reverse("login")),
        (admin_client, reverse("indicator_list")),
        (admin_client, reverse("admin:index")),
        (admin_client, reverse("admin:auth_user_change", args=[admin.pk])),
        (admin_client, reverse("admin:auth_user_changelist")),
    ]
    for page_client, url in pages:
        response = page_client.get(url)
        assert response.status_code == 200, url
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], url
        html = response.text
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
        assert not EVENT_HANDLER.search(html), url
        if not url.startswith("/admin/"):
            assert "<style" not in html and " style=" not in html, url
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_admin_still_saves_a_form(admin_client_):
    admin_client, admin = admin_client_
    url = reverse("admin:auth_group_add")
    response = admin_client.post(url, {"name": "reviewers", "permissions": []})
    assert response.status_code == 302
    assert "Content-Security-Policy" in response.headers


# --- deployment checks -------------------------------------------------------------------------


def test_check_deploy_has_no_warnings():
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."
    assert done.stderr == ""


def test_a_production_server_without_a_secret_key_is_refused():
    env = {"PATH": os.environ.get("PATH", "")}
    deploy = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert deploy.returncode != 0 and "security.W009" in deploy.stderr + deploy.stdout
    signing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core import signing; signing.dumps(1)",
        ],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "kpi_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert signing.returncode != 0 and "SECRET_KEY" in signing.stderr


# --- the warning in a browser ------------------------------------------------------------------

# Playwright's sync API (the session-wide ``page`` fixture) runs an event loop in the
# test thread; the test's own ORM calls are still synchronous (as in tests/browser/).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: run tools/setup.sh --tests (make test does)")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_expiry_warning_and_stay_signed_in(page, live_server, settings):
    from playwright.sync_api import expect

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain-HTTP test server
    client = Client()
    client.force_login(make_user("somchai", role=Role.EXECUTIVE))
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": live_server.url}]
    )
    idle = settings.SESSION_COOKIE_AGE
    problems = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.location["url"].endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.clock.install()
    page.goto(live_server.url + reverse("indicator_list"))
    warning = page.locator("#session-timeout-warning")
    assert warning.is_hidden()

    page.clock.fast_forward((idle - 120 - 5) * 1000)
    assert warning.is_hidden()
    page.clock.fast_forward(10_000)
    expect(warning.get_by_text(WARNING_TEXT)).to_be_visible()
    assert warning.get_by_text(EXPIRED_TEXT).is_hidden()

    with page.expect_response(lambda r: r.url.endswith(reverse("session_keepalive"))) as answer:
        warning.get_by_role("button", name="อยู่ในระบบต่อ").click()
    assert answer.value.status == 204
    expect(warning).to_be_hidden()

    # Renewed: the warning comes back only near the new end, then the end itself.
    page.clock.fast_forward((idle - 130) * 1000)
    assert warning.is_hidden()
    page.clock.fast_forward(200 * 1000)
    expect(warning.get_by_text(EXPIRED_TEXT)).to_be_visible()
    assert warning.get_by_text(WARNING_TEXT).is_hidden()
    expect(warning.get_by_role("link", name="เข้าสู่ระบบอีกครั้ง")).to_be_visible()
    assert warning.get_by_role("button", name="อยู่ในระบบต่อ").is_hidden()
    assert problems == []


def test_the_session_is_written_at_most_once_a_minute(executive_client, django_assert_num_queries):
    url = reverse("indicator_list")
    executive_client.get(url)
    # Signed in moments ago: reading pages writes nothing to the session table. (The list
    # is cached by now: session, user, roles and units (one query), the data's version.)
    with django_assert_num_queries(4 + 1):  # + the navigation's unread notifications
        executive_client.get(url)
    session = executive_client.session
    session["_refreshed_at"] = int(time.time()) - 61
    session.save()
    with django_assert_num_queries(4 + 1 + 3):  # + unread notifications; savepoint, session update, release
        executive_client.get(url)
