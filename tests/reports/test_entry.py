"""Quarter entry by unit staff: what they do, and what must never be lost."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from indicators.access import principal
from indicators.models import FiscalQuarter, Indicator, QuarterTarget, Role, UnitOfMeasure
from reports.models import AuditScore, EvidenceFile, QuarterReport
from reports.selectors import autosave_report, entry_indicator
from tests.factories import as_user, make_report, make_score, make_target, make_unit, make_user
from tests.reports.reporting import PDF_BYTES, PNG_BYTES, entry_url, field_value, save

pytestmark = pytest.mark.django_db


def test_staff_save_a_draft_then_submit(setup):
    indicator, client = setup["indicator"], as_user(setup["staff"])
    response = save(client, indicator, result="30.50", narrative="ร่างแรก")
    assert response.status_code == 302
    report = QuarterReport.objects.get(indicator=indicator, quarter=1)
    assert (report.status, report.result, report.narrative, report.version) == ("draft", 30.5, "ร่างแรก", 1)
    page = client.get(entry_url(indicator))
    assert field_value(page, "narrative") == "ร่างแรก"
    response = save(client, indicator, version=1, submit=True, narrative="ฉบับส่ง")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted" and report.submitted_by == setup["staff"] and not report.is_late


def test_the_second_of_two_concurrent_saves_is_refused_and_the_first_text_survives(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ข้อความเดิม")  # version 1
    first, second = as_user(setup["staff"]), as_user(setup["colleague"])
    # Both opened the form at version 1.
    assert save(first, indicator, version=1, narrative="ข้อความของสมชาย").status_code == 302
    response = save(second, indicator, version=1, narrative="ข้อความของสมศรี")
    assert response.status_code == 409
    text = unescape(response.content.decode())
    assert "ข้อความของสมชาย" in text and "ข้อความของสมศรี" in text  # side by side
    assert 'id="conflict-mine"' in response.content.decode()
    report = QuarterReport.objects.get(indicator=indicator, quarter=1)
    assert report.narrative == "ข้อความของสมชาย" and report.version == 2
    # Saving from the conflict page (carrying the current version) is a deliberate choice.
    assert save(second, indicator, version=2, narrative="ข้อความของสมศรี").status_code == 302
    report.refresh_from_db()
    assert report.narrative == "ข้อความของสมศรี"


def test_autosave_stores_the_draft_and_a_later_sign_in_shows_it(setup):
    indicator = setup["indicator"]
    client = as_user(setup["staff"])
    url = reverse("quarter_autosave", args=[indicator.pk, 1])
    response = client.post(url, {"narrative": "กำลังพิมพ์รายงาน", "result": "", "version": "0"})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    response = client.post(url, {"narrative": "กำลังพิมพ์รายงาน ต่อ", "result": "1x", "version": "1"})
    assert response.json()["version"] == 2
    client.logout()
    # Later, signing in again through the sign-in page:
    again = Client()
    response = again.post(reverse("login"), {"username": "somchai", "password": "pw-staff-1"})
    assert response.status_code == 302
    assert field_value(again.get(entry_url(indicator)), "narrative") == "กำลังพิมพ์รายงาน ต่อ"
    assert QuarterReport.objects.get(indicator=indicator, quarter=1).status == "draft"


def test_autosave_with_a_stale_version_does_not_overwrite(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "บันทึกโดยคนอื่น")
    url = reverse("quarter_autosave", args=[indicator.pk, 1])
    response = as_user(setup["staff"]).post(url, {"narrative": "ของฉัน", "version": "0"})
    assert response.status_code == 409
    assert QuarterReport.objects.get(indicator=indicator, quarter=1).narrative == "บันทึกโดยคนอื่น"


def test_autosaves_are_in_the_history_with_who_typed_them(setup):
    indicator = setup["indicator"]
    url = reverse("quarter_autosave", args=[indicator.pk, 1])
    staff, colleague = as_user(setup["staff"]), as_user(setup["colleague"])
    assert staff.post(url, {"narrative": "ร่างของสมชาย", "result": "7", "version": "0"}).status_code == 200
    assert staff.post(url, {"narrative": "ร่างของสมชาย ต่อ", "result": "8", "version": "1"}).status_code == 200
    assert colleague.post(url, {"narrative": "สมศรีแก้", "result": "8", "version": "2"}).status_code == 200
    report = QuarterReport.objects.get(indicator=indicator, quarter=1)
    assert (report.narrative, report.result, report.version, report.updated_by) == (
        "สมศรีแก้",
        8,
        3,
        setup["colleague"],
    )
    latest = report.history.order_by("-history_id")[0]
    assert (latest.narrative, latest.version, latest.status, latest.history_user) == (
        "สมศรีแก้",
        3,
        "draft",
        setup["colleague"],
    )
    assert list(report.history.values_list("history_user__username", flat=True).order_by("history_id")) == [
        "somchai",
        "somchai",
        "somsri",
    ]


def test_one_persons_autosaves_in_a_row_are_one_history_entry_until_ten_minutes_pass(setup):
    indicator = setup["indicator"]
    url = reverse("quarter_autosave", args=[indicator.pk, 1])
    staff = as_user(setup["staff"])
    for version, text in enumerate(["ร", "ร่า", "ร่าง", "ร่างที่หนึ่ง"]):
        assert staff.post(url, {"narrative": text, "result": "1", "version": str(version)}).status_code == 200
    report = QuarterReport.objects.get(indicator=indicator, quarter=1)
    history = report.history.order_by("history_id")
    # The first save created the report; the three that followed are one entry.
    assert [(row.history_type, row.narrative, row.version) for row in history] == [
        ("+", "ร", 1),
        ("~", "ร่างที่หนึ่ง", 4),
    ]
    history.filter(version=4).update(history_date=timezone.now() - timedelta(minutes=11))
    assert staff.post(url, {"narrative": "ร่างที่สอง", "result": "1", "version": "4"}).status_code == 200
    assert [row.narrative for row in report.history.order_by("history_id")] == ["ร", "ร่างที่หนึ่ง", "ร่างที่สอง"]
    # A colleague's save, then a submission, each begin an entry of their own.
    colleague = as_user(setup["colleague"])
    assert colleague.post(url, {"narrative": "สมศรีเติม", "result": "1", "version": "5"}).status_code == 200
    assert staff.post(url, {"narrative": "สมชายอีก", "result": "1", "version": "6"}).status_code == 200
    assert save(staff, indicator, version=7, submit=True, narrative="ฉบับส่ง", result="1").status_code == 302
    assert [
        (row.history_user.username, row.status, row.narrative)
        for row in report.history.order_by("history_id")
    ][3:] == [
        ("somsri", "draft", "สมศรีเติม"),
        ("somchai", "draft", "สมชายอีก"),
        ("somchai", "submitted", "ฉบับส่ง"),
    ]


def test_autosave_after_the_session_expired_says_so(setup):
    url = reverse("quarter_autosave", args=[setup["indicator"].pk, 1])
    response = Client().post(url, {"narrative": "x", "version": "0"})
    assert response.status_code == 401 and response.json()["error"] == "session"


def test_an_expired_session_shows_the_typed_text_and_saves_after_signing_in_again(setup):
    indicator, client = setup["indicator"], Client()
    typed = {"result": "42", "narrative": "ข้อความยาวที่พิมพ์ไว้", "version": "0", "save": ""}
    response = client.post(entry_url(indicator), typed)
    assert response.status_code == 401
    assert field_value(response, "narrative") == "ข้อความยาวที่พิมพ์ไว้"
    assert field_value(response, "result") == "42"
    assert not QuarterReport.objects.exists()
    response = client.post(
        entry_url(indicator), {**typed, "reauth_username": "somchai", "reauth_password": "wrong"}
    )
    assert response.status_code == 401 and field_value(response, "narrative") == "ข้อความยาวที่พิมพ์ไว้"
    response = client.post(
        entry_url(indicator), {**typed, "reauth_username": "somchai", "reauth_password": "pw-staff-1"}
    )
    assert response.status_code == 302
    assert QuarterReport.objects.get(indicator=indicator).narrative == "ข้อความยาวที่พิมพ์ไว้"


def test_a_failed_csrf_check_shows_the_form_again_with_the_text(setup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(setup["staff"])
    response = client.post(
        entry_url(setup["indicator"]),
        {"result": "5", "narrative": "อย่าหายนะ", "version": "0", "save": ""},
        headers={"Origin": "http://testserver"},  # from the portal's own page, as browsers say
    )
    assert response.status_code == 403
    assert field_value(response, "narrative") == "อย่าหายนะ"
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert not QuarterReport.objects.exists()


@pytest.mark.parametrize("status", ["submitted", "accepted"])
def test_submitted_or_accepted_quarters_refuse_staff_edits(setup, status):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ส่งแล้ว", status=status)
    client = as_user(setup["staff"])
    response = save(client, indicator, version=1, narrative="แก้ไขภายหลัง")
    assert response.status_code == 403
    assert field_value(response, "narrative") == "แก้ไขภายหลัง"  # what was typed is still shown
    autosave = client.post(
        reverse("quarter_autosave", args=[indicator.pk, 1]), {"narrative": "x", "version": "1"}
    )
    assert autosave.status_code == 403
    assert QuarterReport.objects.get(indicator=indicator, quarter=1).narrative == "ส่งแล้ว"


def test_a_locked_quarter_refuses_every_staff_edit(setup, settings):
    settings.LANGUAGE_CODE = "en"
    indicator = setup["indicator"]
    draft = make_report(indicator, 1, "10", "ร่าง")
    evidence = EvidenceFile.objects.create(
        report=draft,
        file=SimpleUploadedFile("a.pdf", PDF_BYTES),
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
    )
    period = setup["periods"][1]
    period.locked_at = timezone.now()
    period.save()
    client = as_user(setup["staff"])
    assert save(client, indicator, version=1, narrative="หลังปิด").status_code == 403
    assert (
        client.post(
            reverse("quarter_autosave", args=[indicator.pk, 1]), {"narrative": "x", "version": "1"}
        ).status_code
        == 403
    )
    client.post(reverse("evidence_delete", args=[evidence.pk]))
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()
    draft.refresh_from_db()
    assert draft.narrative == "ร่าง" and draft.version == 1
    assert "This quarter is locked" in client.get(entry_url(indicator)).content.decode()


def test_late_submissions_are_accepted_and_marked_late(setup):
    period = setup["periods"][1]
    period.due_date = "2020-01-15"
    period.save()
    client = as_user(setup["staff"])
    assert save(client, setup["indicator"], submit=True).status_code == 302
    assert QuarterReport.objects.get().is_late


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"result": "สามสิบ"}, "result", "Enter a number"),
        ({"result": "-5"}, "result", "cannot be negative"),
        ({"narrative": "ก" * 20_001}, "narrative", "at most 20000 characters"),
        ({"narrative": "รายงาน <script>alert(1)</script>"}, "narrative", "plain text"),
        ({"result": "120"}, "result", "above 100 percent"),
    ],
)
def test_bad_input_gets_its_message_and_keeps_what_was_typed(setup, settings, fields, field, message):
    settings.LANGUAGE_CODE = "en"
    indicator = setup["indicator"]
    data = {"result": "30", "narrative": "ข้อความที่ต้องไม่หาย", **fields}
    response = save(as_user(setup["staff"]), indicator, **data)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert message in html
    assert field_value(response, "narrative") == data["narrative"]
    assert field_value(response, "result") == data["result"]
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not QuarterReport.objects.exists()


def test_a_percent_above_100_is_saved_once_confirmed(setup):
    response = save(as_user(setup["staff"]), setup["indicator"], result="120", confirm_over_100="on")
    assert response.status_code == 302
    assert QuarterReport.objects.get().result == 120


def test_whole_number_units_refuse_fractions(setup, settings):
    settings.LANGUAGE_CODE = "en"
    indicator = setup["indicator"]
    indicator.unit_of_measure_id = "ราย"
    indicator.save()
    response = save(as_user(setup["staff"]), indicator, result="12.5")
    assert response.status_code == 400 and "whole number" in response.content.decode()


def test_a_unit_the_administrators_added_sets_the_entry_rules(setup):
    """ตัน takes decimals; ลำ (boats) only whole numbers, with the message in Thai."""
    indicator, client = setup["indicator"], as_user(setup["staff"])
    indicator.unit_of_measure = UnitOfMeasure.objects.create(name="ตัน")
    indicator.save()
    assert "ผลงานสะสม (ตัน)" in client.get(entry_url(indicator)).text
    assert save(client, indicator, result="1250.75").status_code == 302
    assert QuarterReport.objects.get().result == Decimal("1250.75")
    indicator.unit_of_measure = UnitOfMeasure.objects.create(name="ลำ", whole_numbers=True)
    indicator.save()
    response = save(client, indicator, version=1, result="2.5")
    assert response.status_code == 400
    assert "ผลการดำเนินงานในหน่วย ลำ ต้องเป็นจำนวนเต็ม" in response.text
    assert field_value(response, "result") == "2.5"
    assert save(client, indicator, version=1, result="3").status_code == 302


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_evidence_is_checked_by_content_and_size(setup, settings):
    settings.LANGUAGE_CODE = "en"
    settings.EVIDENCE_MAX_BYTES = 1000
    indicator, client = setup["indicator"], as_user(setup["staff"])
    html_page = upload("รายงาน.pdf", b"<!doctype html><html><body>not a pdf</body></html>", "application/pdf")
    response = client.post(
        entry_url(indicator),
        {"result": "1", "narrative": "เก็บไว้", "version": "0", "save": "", "evidence": [html_page]},
    )
    assert response.status_code == 400
    assert "is not a PDF, image, Word or Excel file" in unescape(response.content.decode())
    assert field_value(response, "narrative") == "เก็บไว้"
    big = upload("ใหญ่.pdf", PDF_BYTES + b"0" * 2000, "application/pdf")
    response = client.post(
        entry_url(indicator),
        {"result": "1", "narrative": "เก็บไว้", "version": "0", "save": "", "evidence": [big]},
    )
    assert response.status_code == 400 and "files may be at most 1000" in unescape(response.content.decode())
    assert not EvidenceFile.objects.exists() and not QuarterReport.objects.exists()


def test_evidence_is_stored_under_a_generated_name_and_downloaded_with_rights(setup, settings):
    indicator, client = setup["indicator"], as_user(setup["staff"])
    files = [upload("หลักฐาน 1.pdf", PDF_BYTES), upload("ภาพ.png", PNG_BYTES)]
    response = client.post(
        entry_url(indicator),
        {"result": "1", "narrative": "มีไฟล์", "version": "0", "save": "", "evidence": files},
    )
    assert response.status_code == 302
    stored = list(EvidenceFile.objects.order_by("pk"))
    assert [e.original_name for e in stored] == ["หลักฐาน 1.pdf", "ภาพ.png"]
    assert [e.content_type for e in stored] == ["application/pdf", "image/png"]
    for evidence in stored:
        assert "หลักฐาน" not in evidence.file.name and "static" not in evidence.file.path
        assert str(settings.MEDIA_ROOT) in evidence.file.path
    response = client.get(reverse("evidence_download", args=[stored[0].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert "attachment" in response["Content-Disposition"]
    outsider = make_user("other", Role.UNIT_STAFF, [make_unit("9999")])
    assert as_user(outsider).get(reverse("evidence_download", args=[stored[0].pk])).status_code == 404


def test_the_autosaves_report_read_is_the_orms_in_one_query(setup, django_assert_num_queries):
    """reports.selectors.autosave_report reads the report with its indicator and unit of
    measure in one statement written once: the same values, of the same types, as the ORM."""
    indicator = setup["indicator"]
    submitted_at = timezone.now() - timedelta(days=2)
    make_report(indicator, 1, "12.50", "ข้อความ", status="submitted", submitted_at=submitted_at, is_late=True)
    staff, auditor = setup["staff"], setup["auditor"]
    for user in (staff, auditor):
        principal(user)  # the roles and units, read once per request
        with django_assert_num_queries(1):
            report = autosave_report(user, indicator.pk, 1)
            assert report.indicator.unit_of_measure.name == indicator.unit_of_measure_id
        orm = QuarterReport.objects.select_related("indicator__unit_of_measure").get(pk=report.pk)
        for model, read, expected in (
            (QuarterReport, report, orm),
            (Indicator, report.indicator, orm.indicator),
            (UnitOfMeasure, report.indicator.unit_of_measure, orm.indicator.unit_of_measure),
        ):
            for field in model._meta.concrete_fields:
                value, wanted = getattr(read, field.attname), getattr(expected, field.attname)
                assert (value, type(value)) == (wanted, type(wanted)), field.name
        assert report.result == Decimal("12.50") and report.submitted_at == submitted_at
        assert not report._state.adding and report._state.db == "default"
    # A quarter with no report yet: a new, unsaved one (version 0).
    assert autosave_report(staff, indicator.pk, 2).pk is None
    # Another unit's staff member: not found.
    stranger = make_user("stranger", Role.UNIT_STAFF, [make_unit("9999", "เขตอื่น")])
    with pytest.raises(Http404):
        autosave_report(stranger, indicator.pk, 1)


def orm_entry_indicator(pk):
    """The entry page's reads as the ORM's prefetches made them (before they were written once)."""
    return (
        Indicator.objects.select_related("fiscal_year", "org_unit")
        .prefetch_related(
            Prefetch("targets", queryset=QuarterTarget.objects.order_by("quarter")),
            Prefetch(
                "reports",
                queryset=QuarterReport.objects.select_related("updated_by", "submitted_by", "reviewed_by")
                .prefetch_related(
                    Prefetch(
                        "evidence",
                        queryset=EvidenceFile.objects.select_related("uploaded_by").order_by(
                            "uploaded_at", "pk"
                        ),
                    )
                )
                .order_by("quarter"),
            ),
            Prefetch("scores", queryset=AuditScore.objects.select_related("auditor").order_by("quarter")),
            Prefetch("fiscal_year__quarters", queryset=FiscalQuarter.objects.order_by("quarter")),
        )
        .get(pk=pk)
    )


def fields_of(obj):
    return None if obj is None else [(f.attname, getattr(obj, f.attname)) for f in obj._meta.concrete_fields]


def test_the_entry_pages_reads_are_the_orms_prefetches(setup, django_assert_num_queries):
    indicator, staff, auditor = setup["indicator"], setup["staff"], setup["auditor"]
    for quarter, target in ((3, "30"), (1, "10")):
        make_target(indicator, quarter, target)
    first = make_report(indicator, 2, "5", "สอง", updated_by=staff, submitted_by=staff, reviewed_by=auditor)
    make_report(indicator, 1, "1", "หนึ่ง", updated_by=staff)
    for name, uploaded_by in (("b.pdf", staff), ("a.pdf", None), ("c.pdf", staff)):
        EvidenceFile.objects.create(
            report=first,
            file=SimpleUploadedFile(name, PDF_BYTES),
            original_name=name,
            content_type="application/pdf",
            size=len(PDF_BYTES),
            uploaded_by=uploaded_by,
        )
    make_score(indicator, 2, "80", auditor=auditor)
    make_score(indicator, 1, "70")
    principal(staff)
    # The indicator, then targets, reports, their files, scores and the year's quarters.
    with django_assert_num_queries(6):
        read = entry_indicator(staff, indicator.pk)
    orm = orm_entry_indicator(indicator.pk)
    with django_assert_num_queries(0):
        for name in ("targets", "reports", "scores"):
            assert [fields_of(o) for o in getattr(read, name).all()] == [
                fields_of(o) for o in getattr(orm, name).all()
            ], name
            assert all(o.indicator is read for o in getattr(read, name).all())
        assert [fields_of(q) for q in read.fiscal_year.quarters.all()] == [
            fields_of(q) for q in orm.fiscal_year.quarters.all()
        ]
        assert [r.quarter for r in read.reports.all()] == [1, 2]
        for mine, theirs in zip(read.reports.all(), orm.reports.all(), strict=True):
            for name in ("updated_by", "submitted_by", "reviewed_by"):
                assert fields_of(getattr(mine, name)) == fields_of(getattr(theirs, name))
            files = list(mine.evidence.all())
            assert [fields_of(f) for f in files] == [fields_of(f) for f in theirs.evidence.all()]
            assert [fields_of(f.uploaded_by) for f in files] == [
                fields_of(f.uploaded_by) for f in theirs.evidence.all()
            ]
            assert all(f.report is mine for f in files)
        assert [fields_of(s.auditor) for s in read.scores.all()] == [
            fields_of(s.auditor) for s in orm.scores.all()
        ]
    assert [f.original_name for f in read.reports.all()[1].evidence.all()] == ["b.pdf", "a.pdf", "c.pdf"]
