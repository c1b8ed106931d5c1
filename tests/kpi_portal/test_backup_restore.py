"""The restore drill: a seeded portal with evidence files and a built book is backed
up, restored into an empty database (a new PostgreSQL database, or a new SQLite file)
and an empty storage by another process, and compared: the row count of every table,
the sha256 of every narrative, the bytes of every file."""

import hashlib
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import load_backend

from indicators.models import Indicator
from reports.books import ordering
from reports.models import Book, EvidenceFile, QuarterReport, SheetRender
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    # As in test_books: the in-process worker must not close the test's connection.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


@pytest.fixture
def target_database(tmp_path):
    """An empty database of the same kind, and its DATABASE_URL."""
    source = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield {**source, "NAME": str(path), "TEST": {}}, f"sqlite:///{path}"
        return
    name = f"{source['NAME']}_restore"[:63]
    admin = psycopg_admin(source)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    host, port, user = source["HOST"] or "127.0.0.1", source["PORT"] or 5432, source["USER"]
    try:
        yield {**source, "NAME": name, "TEST": {}}, f"postgres://{user}@{host}:{port}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def psycopg_admin(source):
    import psycopg2

    admin = psycopg2.connect(
        dbname="postgres",
        user=source["USER"],
        host=source["HOST"] or "127.0.0.1",
        port=source["PORT"] or 5432,
        password=source.get("PASSWORD") or None,
    )
    admin.autocommit = True
    return admin


def open_database(settings_dict):
    backend = load_backend(settings_dict["ENGINE"])
    return backend.DatabaseWrapper({**connection.settings_dict, **settings_dict}, alias="restored")


def table_counts(db) -> dict[str, int]:
    with db.cursor() as cursor:
        tables = db.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def narrative_hashes(db) -> dict:
    """sha256 of every narrative and summary text, by table and row (history included)."""
    hashes = {}
    for table, column in [
        ("reports_quarterreport", "narrative"),
        ("reports_historicalquarterreport", "narrative"),
        ("reports_annualsummary", "text"),
        ("reports_quarterreport", "return_comment"),
    ]:
        with db.cursor() as cursor:
            key = "history_id" if "historical" in table else "id"
            cursor.execute(f"SELECT {key}, {column} FROM {table} ORDER BY {key}")
            for pk, text in cursor.fetchall():
                hashes[(table, column, pk)] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def stored_files(db) -> list[str]:
    names = []
    with db.cursor() as cursor:
        for table in ("reports_evidencefile", "reports_sheetrender", "reports_book"):
            cursor.execute(f"SELECT file FROM {table} WHERE file <> '' ORDER BY id")
            names += [row[0] for row in cursor.fetchall()]
    return names


def test_a_backup_restores_every_row_text_and_file(settings, tmp_path, target_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BOOK_CHUNK_SIZE = 2
    call_command("seed_demo", units=2, per_unit=3, years=1, verbosity=0)
    reports = list(QuarterReport.objects.select_related("indicator")[:3])
    assert reports, "the seed wrote no reports"
    for number, report in enumerate(reports):
        evidence = EvidenceFile(
            report=report, original_name=f"หลักฐาน {number}.pdf", content_type="application/pdf"
        )
        content = f"%PDF-1.4 evidence {number} ".encode() + os.urandom(2000)
        evidence.size = len(content)
        evidence.file.save("ignored", ContentFile(content), save=True)
    executive = make_user("backup-exec")
    indicators = list(Indicator.objects.order_by("pk").values_list("pk", flat=True)[:3])
    book = ordering.order_book(executive, indicators, "สมุดก่อนสำรองข้อมูล")
    call_command("book_worker", once=True, worker_id="backup-worker", verbosity=0)
    book.refresh_from_db()
    assert book.status == Book.Status.DONE, book.error
    assert SheetRender.objects.count() == 3

    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir), verbosity=0)
    assert (backup_dir / "manifest.json").is_file()

    target_settings, target_url = target_database
    restored_media = tmp_path / "restored-media"
    restored_media.mkdir()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": target_url,
        "DJANGO_MEDIA_ROOT": str(restored_media),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup_dir)],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr

    restored = open_database(target_settings)
    try:
        original_counts, restored_counts = table_counts(connection), table_counts(restored)
        assert restored_counts == original_counts
        assert original_counts["reports_evidencefile"] == 3 and original_counts["reports_quarterreport"] > 0
        assert narrative_hashes(restored) == narrative_hashes(connection)
        assert len(narrative_hashes(connection)) >= original_counts["reports_quarterreport"]
        names = stored_files(connection)
        assert stored_files(restored) == names and len(names) == 3 + 3 + 1
    finally:
        restored.close()
    source_storage, target_storage = FileSystemStorage(settings.MEDIA_ROOT), FileSystemStorage(restored_media)
    for name in names:
        with source_storage.open(name) as original, target_storage.open(name) as copy:
            assert copy.read() == original.read(), name
    # Nothing else was written into the restored storage.
    assert sorted(
        str(p.relative_to(restored_media)) for p in restored_media.rglob("*") if p.is_file()
    ) == sorted(names)

    # Restoring again is refused: the database and the storage are no longer empty.
    again = subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup_dir)],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode != 0 and "is not empty" in again.stderr


def test_a_damaged_backup_is_refused_before_anything_is_restored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", units=1, per_unit=1, years=1, verbosity=0)
    report = QuarterReport.objects.first()
    evidence = EvidenceFile(report=report, original_name="a.pdf", content_type="application/pdf", size=4)
    evidence.file.save("x", ContentFile(b"%PDF"), save=True)
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir), verbosity=0)
    (backup_dir / "files" / evidence.file.name).write_bytes(b"%PDX")
    with pytest.raises(CommandError, match="damaged or missing"):
        call_command("restore", str(backup_dir), verbosity=0)
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(backup_dir), verbosity=0)
