"""Files downloaded on shared office PCs are never kept by the browser or a proxy:
sheet PDFs, evidence, exports, import templates and books carry
``Cache-Control: private, no-store`` (issue 8, item 7)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.web import make_world, project_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings, tmp_path):
    return make_world(settings, tmp_path)


def cache_directives(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Cache-Control", "").split(",") if part}


def is_download(response) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return "Content-Disposition" in response.headers or not content_type.startswith(
        ("text/html", "application/json")
    )


def test_every_download_is_private_and_not_stored(world):
    """Every URL of the portal, fetched by those who may: whatever answers with a file
    must not be cached. A new download URL is covered as soon as it exists."""
    users = world["users"]
    downloads = {}
    for role in ("staff", "admin"):
        client = Client()
        client.force_login(users[role])
        for name, url in project_urls(world):
            if url.startswith("/admin/") or name in ("logout", "set_language"):
                continue
            response = client.get(url)
            if response.status_code == 200 and is_download(response):
                downloads[name] = response
                assert {"private", "no-store"} <= cache_directives(response), (role, name)
            if response.streaming:
                b"".join(response.streaming_content)  # read to the end: the file is closed
    assert sorted(downloads) == [
        "book_download",
        "evidence_download",
        "indicator_export_csv",
        "indicator_export_xlsx",
        "indicator_import_template_csv",
        "indicator_import_template_xlsx",
        "indicator_pdf",
    ]


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("indicator_pdf", lambda w: [w["indicator"].pk]),
        ("evidence_download", lambda w: [w["evidence"].pk]),
        ("indicator_export_xlsx", lambda w: []),
        ("indicator_export_csv", lambda w: []),
        ("indicator_import_template_xlsx", lambda w: []),
        ("indicator_import_template_csv", lambda w: []),
        ("book_download", lambda w: [w["book"].pk]),
    ],
)
def test_each_download_says_private_no_store(world, url_name, args):
    client = Client()
    client.force_login(world["users"]["admin"])
    response = client.get(reverse(url_name, args=args(world)))
    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)
    assert {"private", "no-store"} <= cache_directives(response)
    assert "public" not in cache_directives(response)
