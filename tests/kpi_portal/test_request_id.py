"""Every response carries a request id, every log line of the request too (JSON)."""

import io
import json
import logging
import re

import pytest
from django.test import Client

from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db


def test_each_response_gets_its_own_id():
    first, second = Client().get("/health/"), Client().get("/health/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    "proxies, sent, kept",
    [
        (0, "abcdef12-proxy-id", False),  # from the client itself: not believed
        (1, "abcdef12-proxy-id", True),  # from our proxy (nginx's $request_id)
        (1, "short", False),
        (1, "bad\nline-injection", False),
        (1, "x" * 200, False),
    ],
)
def test_a_proxys_id_is_kept_only_when_the_proxy_is_trusted(settings, proxies, sent, kept):
    settings.TRUSTED_PROXY_COUNT = proxies
    response = Client().get("/health/", headers={"X-Request-ID": sent}, HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert (response["X-Request-ID"] == sent) is kept
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,128}", response["X-Request-ID"])


def test_log_lines_are_json_with_the_request_id(client):
    client.force_login(make_user("staff", units=[make_unit("5001")]))
    console = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    written = io.StringIO()
    previous = console.setStream(written)
    try:
        response = client.get("/dashboard/")  # refused: Django logs a warning
    finally:
        console.setStream(previous)
    assert response.status_code == 403
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    refused = [line for line in lines if line["logger"] == "django.request"]
    assert refused and refused[-1]["request_id"] == response["X-Request-ID"]
    assert refused[-1]["level"] == "WARNING" and "/dashboard/" in refused[-1]["message"]


def test_the_access_line_gives_time_and_cpu_time_of_the_request(client):
    client.force_login(make_user("staff", units=[make_unit("5001")]))
    console = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    access = logging.getLogger("kpi_portal.access")
    written = io.StringIO()
    previous, level = console.setStream(written), access.level
    access.setLevel(logging.INFO)
    try:
        response = client.get("/indicators/")
    finally:
        console.setStream(previous)
        access.setLevel(level)
    assert response.status_code == 200
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    (line,) = [line for line in lines if line["logger"] == "kpi_portal.access"]
    assert line["path"] == "/indicators/" and line["status"] == 200
    assert line["request_id"] == response["X-Request-ID"]
    # A page that reads the database and renders a template costs some CPU, never more
    # than the time it took (one thread); 0.1 ms of rounding either way.
    assert 0 < line["cpu_ms"] <= line["duration_ms"] + 0.1
