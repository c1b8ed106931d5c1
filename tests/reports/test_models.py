"""The reporting rules live on QuarterReport: every door (entry, review, reopening, the
demo) goes through these methods, which check the lock, the status and the version."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from indicators.models import FiscalQuarter
from reports.models import (
    AuditScore,
    NotEditable,
    QuarterLocked,
    QuarterReport,
    Review,
    VersionConflict,
)
from tests.factories import make_fiscal_year, make_indicator, make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(unit):
    today = timezone.localdate()
    return FiscalQuarter.objects.create(
        fiscal_year=make_fiscal_year(2568), quarter=1, due_date=today + datetime.timedelta(days=10)
    )


@pytest.fixture
def indicator(period, unit):
    return make_indicator(period.fiscal_year, unit)


def draft(indicator, by, version=0, **fields):
    report = QuarterReport.for_quarter(indicator, 1)
    report.save_draft(by=by, result=Decimal("10"), narrative="ร่าง", version=version, **fields)
    return report


def test_a_draft_is_created_then_saved_from_its_version_only(indicator, staff):
    report = draft(indicator, staff)
    assert (report.version, report.status, report.updated_by) == (1, QuarterReport.Status.DRAFT, staff)
    with pytest.raises(VersionConflict) as conflict:
        draft(indicator, staff, version=0)  # started before the first save
    assert conflict.value.current.narrative == "ร่าง"
    assert draft(indicator, staff, version=1).version == 2
    assert report.history.latest().history_user == staff


def test_submitting_after_the_deadline_marks_the_report_late(indicator, staff, period):
    period.due_date = timezone.localdate() - datetime.timedelta(days=1)
    period.save()
    report = QuarterReport.for_quarter(indicator, 1)
    report.submit(by=staff, result=Decimal("10"), narrative="ส่ง", version=0)
    stored = QuarterReport.objects.get()
    assert (stored.status, stored.is_late, stored.submitted_by) == (
        QuarterReport.Status.SUBMITTED,
        True,
        staff,
    )


def test_a_locked_quarter_refuses_the_unit(indicator, staff, period, administrator):
    report = draft(indicator, staff)
    period.lock(administrator)
    with pytest.raises(QuarterLocked):
        draft(indicator, staff, version=report.version)
    assert QuarterReport.objects.get().version == report.version


@pytest.mark.parametrize("status", [QuarterReport.Status.SUBMITTED, QuarterReport.Status.ACCEPTED])
def test_a_submitted_or_accepted_report_refuses_the_unit(indicator, staff, status):
    make_report(indicator, 1, "10", "ส่งแล้ว", status=status)
    with pytest.raises(NotEditable):
        draft(indicator, staff, version=1)


def test_only_a_submitted_report_is_reviewed(indicator, staff, auditor):
    report = draft(indicator, staff)
    with pytest.raises(NotEditable):
        report.accept(by=auditor, version=report.version, review=Review(score=Decimal(90)))
    assert not AuditScore.objects.exists()


def test_accepting_records_the_scores_and_returning_the_comment(indicator, auditor):
    report = make_report(indicator, 1, "10", "ส่งแล้ว", status=QuarterReport.Status.SUBMITTED)
    report.return_for_revision(by=auditor, version=1, review=Review(comment="แนบหลักฐาน"))
    assert (report.status, report.return_comment, report.version) == ("returned", "แนบหลักฐาน", 2)
    QuarterReport.objects.filter(pk=report.pk).update(status=QuarterReport.Status.SUBMITTED)
    report.refresh_from_db()
    with pytest.raises(VersionConflict):
        report.accept(by=auditor, version=1, review=Review(score=Decimal(90)))
    report.accept(by=auditor, version=2, review=Review(score=Decimal(90), is_verification=True))
    score = AuditScore.objects.get()
    assert (report.status, report.reviewed_by, score.score, score.auditor) == (
        "accepted",
        auditor,
        90,
        auditor,
    )


def test_only_an_accepted_report_is_reopened(indicator, administrator):
    report = make_report(indicator, 1, "10", "ส่งแล้ว", status=QuarterReport.Status.SUBMITTED)
    with pytest.raises(NotEditable):
        report.reopen(by=administrator, reason="ขอแก้ไข")
    QuarterReport.objects.filter(pk=report.pk).update(status=QuarterReport.Status.ACCEPTED)
    report.refresh_from_db()
    report.reopen(by=administrator, reason="ขอแก้ไข")
    assert (report.status, report.return_comment) == ("returned", "ขอแก้ไข")
    assert report.history.latest().history_change_reason == "ขอแก้ไข"
