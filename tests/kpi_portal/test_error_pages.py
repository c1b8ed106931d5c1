"""Error pages (issue 11, item 1): Thai first (English when chosen), in the portal's layout,
with a way on; the 500 page without the database; the browser's /favicon.ico."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_indicator


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_a_missing_page_says_so_in_thai_with_the_way_home(staff_client):
    response = staff_client.get("/indicators/987654/")
    assert response.status_code == 404
    page = response.text
    assert "ไม่พบหน้าที่ต้องการ" in page
    assert "ข้อผิดพลาด 404" in page
    assert 'href="/"' in page and "ไปหน้าหลัก" in page
    assert 'class="navbar-brand"' in page  # the site's layout, with its navigation
    assert "Not Found" not in page


@pytest.mark.django_db
def test_a_missing_page_in_english_when_chosen(staff_client):
    page = english(staff_client).get("/no-such-page/").text
    assert "Page not found" in page and "Go to the home page" in page


@pytest.mark.django_db
def test_a_refused_page_explains_the_role_in_thai(staff_client):
    response = staff_client.get("/review/")
    assert response.status_code == 403
    assert "ไม่มีสิทธิ์เข้าถึง" in response.text
    assert "ผู้ดูแลระบบ" in response.text
    assert "403 Forbidden" not in response.text


@pytest.mark.django_db
def test_a_refused_page_in_english_when_chosen(staff_client):
    assert "Access denied" in english(staff_client).get("/review/").text


@pytest.mark.urls("tests.kpi_portal.error_urls")
def test_the_500_page_renders_without_the_database():
    # No django_db mark: pytest-django refuses every query, so a 500 page (or its context
    # processors) reaching for the database would fail this test rather than show.
    assert settings.DEBUG is False
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    page = response.text
    assert "เกิดข้อผิดพลาด" in page and "ข้อผิดพลาด 500" in page
    assert 'href="/"' in page
    assert "Server Error" not in page and "could not connect" not in page


@pytest.mark.urls("tests.kpi_portal.error_urls")
def test_the_500_page_in_english_when_chosen():
    page = english(Client(raise_request_exception=False)).get("/broken/").text
    assert "Something went wrong" in page


def test_the_browser_finds_the_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file


@pytest.mark.django_db
def test_pages_name_the_favicon(staff_client):
    make_indicator()
    assert '<link rel="icon" href="/favicon.ico">' in staff_client.get("/indicators/").text
