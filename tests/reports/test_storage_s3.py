"""Shared storage on S3-compatible object storage (django-storages), against a real S3
API server on 127.0.0.1 (moto's standalone server): evidence uploaded and downloaded
with rights checks, a book built by a worker process and downloaded by another, and
nothing read from or written to the local disk (MEDIA_ROOT stays empty)."""

import io
import os
import subprocess
import sys

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer
from pypdf import PdfReader

from indicators.models import FiscalQuarter, Role
from reports.books import ordering
from reports.models import Book, EvidenceFile, SheetRender
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user
from tests.reports.test_books import database_url

BUCKET = "kpi-portal-test"
KEYS = {"DJANGO_S3_ACCESS_KEY_ID": "testing-key-id", "DJANGO_S3_SECRET_ACCESS_KEY": "testing-secret"}
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield endpoint
    server.stop()


def s3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["DJANGO_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["DJANGO_S3_SECRET_ACCESS_KEY"],
    )


def stored_objects(endpoint) -> dict[str, bytes]:
    client = s3_client(endpoint)
    listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listing}


def s3_environment(endpoint) -> dict[str, str]:
    """The settings a server or worker reads to use the bucket (kpi_portal/settings.py)."""
    return {
        "DJANGO_S3_BUCKET": BUCKET,
        "DJANGO_S3_ENDPOINT_URL": endpoint,
        "DJANGO_S3_REGION": "us-east-1",
        "DJANGO_S3_ADDRESSING_STYLE": "path",
        **KEYS,
    }


@pytest.fixture
def on_s3(s3_endpoint, settings, tmp_path, monkeypatch):
    """This process's storage is the bucket (emptied first); MEDIA_ROOT an empty directory."""
    client = s3_client(s3_endpoint)
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    for key in stored_objects(s3_endpoint):
        client.delete_object(Bucket=BUCKET, Key=key)
    environment = s3_environment(s3_endpoint)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": KEYS["DJANGO_S3_ACCESS_KEY_ID"],
                "secret_key": KEYS["DJANGO_S3_SECRET_ACCESS_KEY"],
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    yield {"endpoint": s3_endpoint, "media": media, "environment": environment}
    assert list(media.iterdir()) == [], "something was written to the local disk"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_settings_build_an_s3_storage_from_the_environment(s3_endpoint, tmp_path):
    """kpi_portal/settings.py itself, read in a fresh process with the variables set."""
    code = (
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url,"
        " s.addressing_style, s.file_overwrite, s.default_acl, s.querystring_auth)"
    )
    environment = {**os.environ, **s3_environment(s3_endpoint), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["S3Storage", BUCKET, s3_endpoint, "path", "False", "None", "True"]


@pytest.mark.django_db
def test_evidence_goes_to_the_bucket_and_comes_back_only_to_those_who_may(on_s3):
    year = make_fiscal_year(2568)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2099-01-15")
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    indicator = make_indicator(year, unit, code="0685")
    staff = make_user("somchai", Role.UNIT_STAFF, [unit])
    response = as_user(staff).post(
        reverse("quarter_report", args=[indicator.pk, 1]),
        {
            "result": "1",
            "narrative": "มีไฟล์",
            "version": "0",
            "save": "",
            "evidence": [SimpleUploadedFile("หลักฐาน.pdf", PDF_BYTES, content_type="application/pdf")],
        },
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert stored_objects(on_s3["endpoint"]) == {evidence.file.name: PDF_BYTES}
    download = as_user(staff).get(reverse("evidence_download", args=[evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    executive = make_user("exec", Role.EXECUTIVE)
    assert as_user(executive).get(reverse("evidence_download", args=[evidence.pk])).status_code == 200
    outsider = make_user("other", Role.UNIT_STAFF, [make_unit("9999")])
    assert as_user(outsider).get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
    # Removing the evidence removes it from the bucket... or keeps it for history: either
    # way, nothing on the local disk (checked by the fixture).


@pytest.mark.django_db(transaction=True)
def test_a_book_built_by_a_worker_process_is_downloaded_by_another(on_s3, tmp_path, settings):
    settings.BOOK_CHUNK_SIZE = 2
    year = make_fiscal_year(2568)
    unit = make_unit("5001", "สำนักงานเขตพระนคร")
    indicators = []
    for sequence in (1, 2, 3):
        indicator = make_indicator(year, unit, sequence=sequence, name=f"ตัวชี้วัดลำดับ {sequence}")
        make_report(indicator, 1, "10", f"รายงานผล {sequence}")
        indicators.append(indicator)
    executive = make_user("exec", Role.EXECUTIVE)
    book = ordering.order_book(executive, [i.pk for i in indicators], "สมุดบนที่เก็บกลาง")

    # The worker runs in another process, on another "machine": its own empty local disk.
    worker_media = tmp_path / "worker-media"
    worker_media.mkdir()
    environment = {
        **os.environ,
        **on_s3["environment"],
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "DJANGO_MEDIA_ROOT": str(worker_media),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "book_worker", "--once", "--worker-id", "s3-worker", "-v", "0"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        timeout=300,
    )
    assert done.returncode == 0
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    assert list(worker_media.iterdir()) == []

    objects = stored_objects(on_s3["endpoint"])
    renders = list(SheetRender.objects.all())
    assert len(renders) == 3 and all(render.file.name in objects for render in renders)
    assert book.file.name in objects

    response = as_user(executive).get(reverse("book_download", args=[book.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content == objects[book.file.name]
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == book.page_count and len(reader.pages) >= 1 + 3
    text = "".join(page.extract_text() for page in reader.pages)
    assert "สมุดบนที่เก็บกลาง" in text
    # Another unit's staff may not fetch it.
    outsider = make_user("staff", Role.UNIT_STAFF, [make_unit("9999")])
    assert as_user(outsider).get(reverse("book_download", args=[book.pk])).status_code == 404
