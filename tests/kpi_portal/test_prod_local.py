"""`make prod-local` (tools/prod_local.sh) starts the production configuration: DEBUG
off, a generated secret, collectstatic, gunicorn (gunicorn.conf.py) and a book worker.
Started here against the test database, it answers its health endpoints and serves a
page to a signed-in user, logging one JSON line per request with its id."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from indicators.models import Role
from tests.factories import make_unit, make_user
from tests.reports.test_books import database_url

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Prod-local-pass-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(opener, url, data=None, timeout=30):
    try:
        response = opener.open(
            url, data=urllib.parse.urlencode(data).encode() if data else None, timeout=timeout
        )
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()
    return response.status, dict(response.headers), response.read().decode()


def wait_until_up(url, process, deadline_seconds=120):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prod-local exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("prod-local did not come up")


def test_prod_local_serves_health_and_pages(tmp_path):
    user = make_user("prod-staff", Role.UNIT_STAFF, [make_unit("5001")])
    # The production settings know only the real hashers (the tests' MD5 is not among them).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "prodlocalsalt")
    user.save(update_fields=["password"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "PROD_LOCAL_DATABASE_URL": database_url(),
        "PROD_LOCAL_STATE": str(tmp_path / "state"),
        "PROD_LOCAL_PORT": str(port),
        "PROD_LOCAL_DEMO": "0",
        "BOOK_WORKERS": "1",
        "GUNICORN_WORKERS": "1",
    }
    process = subprocess.Popen(
        ["tools/prod_local.sh"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_up(f"{base}/health/", process)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, headers, body = fetch(opener, f"{base}/health/")
        assert status == 200 and json.loads(body) == {
            "status": "ok",
            "checks": {"database": "ok", "storage": "ok"},
        }
        health_id = headers["X-Request-ID"]
        # The book worker's heartbeat (it may need a moment to start).
        deadline = time.monotonic() + 60
        while fetch(opener, f"{base}/health/background/")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        status, _headers, body = fetch(opener, f"{base}/health/background/")
        assert status == 200 and json.loads(body)["checks"]["book_workers"] == "ok"

        status, headers, page = fetch(opener, f"{base}/accounts/login/")
        assert status == 200 and "DJANGO_DEBUG" not in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
        assert fetch(opener, base + stylesheet)[0] == 200  # whitenoise, after collectstatic
        status, _headers, page = fetch(
            opener,
            f"{base}/accounts/login/",
            {
                "username": "prod-staff",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
                "next": "/indicators/",
            },
        )
        assert status == 200 and "prod-staff" in page and 'name="password"' not in page
        status, _headers, page = fetch(opener, f"{base}/nope/")
        assert status == 404 and "Traceback" not in page  # DEBUG is off
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        out, log = process.communicate(timeout=60)
    assert process.returncode is not None
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "kpi_portal.access"]
    assert any(line["request_id"] == health_id and line["path"] == "/health/" for line in access), log[-3000:]
    assert any(
        line["path"] == "/indicators/" and line["status"] == 200 and line["user_id"] == user.pk
        for line in access
    )
    assert "Book worker 'prod-local-1' stopped" in log
    assert "Libraries preloaded in" in log and "not preloaded" not in log  # gunicorn's master
    assert (tmp_path / "state" / "secret_key").stat().st_mode & 0o077 == 0
