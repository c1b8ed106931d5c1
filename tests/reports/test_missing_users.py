"""Rows with no user attached (migrated from the old system, demo data, accounts gone)
and reports that disappeared: every page still renders and nothing typed is lost."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from indicators.models import Role
from reports import services
from reports.models import AuditScore, EvidenceFile, NotEditable, QuarterReport, Review, VersionConflict
from tests.factories import (
    as_user,
    make_fiscal_year,
    make_indicator,
    make_report,
    make_score,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def people(db):
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    indicator = make_indicator(make_fiscal_year(2568), unit, name="ร้อยละความสำเร็จของโครงการ")
    return {
        "indicator": indicator,
        "staff": make_user("somchai", Role.UNIT_STAFF, [unit], first_name="สมชาย", last_name="ใจดี"),
        "auditor": make_user("auditor", Role.AUDITOR),
        "admin": make_user("admin", Role.ADMINISTRATOR),
    }


def migrated_rows(indicator, settings, tmp_path):
    """One of each row whose "by" is empty, as migration from the old system leaves them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    submitted = make_report(
        indicator, 1, "30", "รายงานที่ย้ายมาจากระบบเดิม", status="submitted", submitted_at=timezone.now()
    )
    make_report(indicator, 2, "60", "ไตรมาสสอง", status="accepted", reviewed_at=timezone.now())
    make_report(indicator, 3, "70", "ไตรมาสสาม", status="returned", return_comment="แก้ไข")
    make_score(indicator, 2, "90", "100", "100", is_verification=True, scored_at=timezone.now())
    evidence = EvidenceFile(
        report=submitted, original_name="หลักฐาน.pdf", content_type="application/pdf", size=42
    )
    evidence.file.save("x", SimpleUploadedFile("x.pdf", PDF_BYTES), save=False)
    evidence.save()
    assert not QuarterReport.objects.exclude(submitted_by=None, reviewed_by=None, updated_by=None).exists()
    assert not AuditScore.objects.exclude(auditor=None).exists()
    assert not EvidenceFile.objects.exclude(uploaded_by=None).exists()
    assert not QuarterReport.history.exclude(history_user=None).exists()


def test_the_review_page_shows_a_report_nobody_submitted(people, settings, tmp_path):
    """The auditors' first click on a migrated row (issue 8, item 2)."""
    indicator = people["indicator"]
    migrated_rows(indicator, settings, tmp_path)
    response = as_user(people["auditor"]).get(reverse("quarter_review", args=[indicator.pk, 1]))
    assert response.status_code == 200
    assert "รายงานที่ย้ายมาจากระบบเดิม" in response.text


def test_the_review_page_names_who_submitted(people):
    indicator = people["indicator"]
    make_report(
        indicator, 1, "30", "x", status="submitted", submitted_at=timezone.now(), submitted_by=people["staff"]
    )
    response = as_user(people["auditor"]).get(reverse("quarter_review", args=[indicator.pk, 1]))
    assert response.status_code == 200 and "สมชาย ใจดี" in response.text


@pytest.mark.parametrize(
    "role, url_name",
    [
        ("staff", "quarter_report"),
        ("auditor", "quarter_review"),
        ("auditor", "indicator_detail"),
        ("auditor", "indicator_history"),
        ("admin", "indicator_detail"),
        ("admin", "indicator_history"),
        ("staff", "indicator_pdf"),
    ],
)
def test_pages_render_rows_without_users(people, settings, tmp_path, role, url_name):
    indicator = people["indicator"]
    migrated_rows(indicator, settings, tmp_path)
    client = as_user(people[role])
    for quarter in (1, 2, 3, 4):
        args = [indicator.pk] if url_name.startswith("indicator_") else [indicator.pk, quarter]
        response = client.get(reverse(url_name, args=args))
        assert response.status_code == 200, (url_name, quarter)
        if url_name.startswith("indicator_"):
            break


def test_the_conflict_page_keeps_the_text_when_the_report_was_deleted(people):
    """The form was loaded at version 3; meanwhile the report was deleted (issue 8, item 2)."""
    indicator = people["indicator"]
    report = make_report(indicator, 1, "10", "ข้อความเดิม", version=3)
    report.delete()
    typed = {"result": "42", "narrative": "ข้อความที่พิมพ์มานาน", "version": "3", "save": ""}
    client = as_user(people["staff"])
    response = client.post(reverse("quarter_report", args=[indicator.pk, 1]), typed)
    assert response.status_code == 409
    html = unescape(response.text)
    assert "ข้อความที่พิมพ์มานาน" in html
    assert "รายงานนี้ถูกลบไปแล้ว" in html  # says what happened: the saved report is gone
    assert not QuarterReport.objects.exists()
    # The conflict page's button saves the text as a new report.
    form = re.search(r'<form method="post" class="mt-3">(.*?)</form>', response.text, re.S).group(1)
    assert re.search(r'name="version" value="0"', form)
    again = {"result": "42", "narrative": "ข้อความที่พิมพ์มานาน", "version": "0", "save": ""}
    assert client.post(reverse("quarter_report", args=[indicator.pk, 1]), again).status_code == 302
    assert QuarterReport.objects.get().narrative == "ข้อความที่พิมพ์มานาน"


def test_the_conflict_page_names_who_saved_meanwhile(people):
    indicator = people["indicator"]
    make_report(indicator, 1, "10", "ข้อความของคนอื่น", version=2, updated_by=people["staff"])
    response = as_user(people["staff"]).post(
        reverse("quarter_report", args=[indicator.pk, 1]),
        {"result": "42", "narrative": "ของฉัน", "version": "1", "save": ""},
    )
    assert response.status_code == 409 and "สมชาย ใจดี" in response.text


def test_the_conflict_page_without_a_user_on_the_saved_report(people):
    indicator = people["indicator"]
    make_report(indicator, 1, "10", "ข้อความที่ย้ายมา", version=2)
    response = as_user(people["staff"]).post(
        reverse("quarter_report", args=[indicator.pk, 1]),
        {"result": "42", "narrative": "ของฉัน", "version": "1", "save": ""},
    )
    assert response.status_code == 409
    assert "ของฉัน" in unescape(response.text) and "ข้อความที่ย้ายมา" in unescape(response.text)


def test_a_report_deleted_while_it_is_saved_is_a_conflict_not_an_error(people, monkeypatch):
    """Deleted between reading it and claiming its version: the conflict page shows the typed text."""
    indicator = people["indicator"]
    make_report(indicator, 1, "10", "ข้อความเดิม", version=3)
    editable = QuarterReport.is_editable_by_unit

    def deleted_meanwhile(report):
        QuarterReport.objects.filter(pk=report.pk).delete()
        return editable.fget(report)

    monkeypatch.setattr(QuarterReport, "is_editable_by_unit", property(deleted_meanwhile))
    with pytest.raises(VersionConflict) as conflict:
        services.save_report(
            indicator, 1, people["staff"], result=None, narrative="ของฉัน", version=3, submit=True
        )
    assert conflict.value.current.pk is None and conflict.value.current.version == 0


def test_a_report_deleted_before_its_draft_is_saved_is_a_conflict_not_an_error(people):
    """A draft save is one guarded UPDATE: a report deleted after it was read changes nothing."""
    indicator = people["indicator"]
    make_report(indicator, 1, "10", "ข้อความเดิม", version=3)
    report = QuarterReport.for_quarter(indicator, 1)
    QuarterReport.objects.filter(pk=report.pk).delete()
    with pytest.raises(VersionConflict) as conflict:
        report.save_draft(by=people["staff"], result=None, narrative="ของฉัน", version=3)
    assert conflict.value.current.pk is None and conflict.value.current.version == 0
    assert not QuarterReport.objects.exists()


def test_a_report_deleted_while_it_is_reviewed_is_refused_not_an_error(people):
    indicator = people["indicator"]
    report = make_report(indicator, 1, "10", "x", status="submitted", submitted_at=timezone.now())
    QuarterReport.objects.filter(pk=report.pk).delete()
    with pytest.raises(NotEditable):
        report.accept(by=people["auditor"], version=1, review=Review())
    assert not AuditScore.objects.exists()
