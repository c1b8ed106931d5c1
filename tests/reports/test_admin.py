"""The admin shows reports and scores but changes them never: they change only through entry,
review and reopening, which check the lock, the status and the version and record who."""

from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Indicator, Role
from reports.models import AnnualSummary, AuditScore, QuarterReport
from tests.admin_forms import form_data
from tests.factories import make_indicator, make_report, make_score, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(client):
    """An accepted report (version 3, written by the unit's staff), its score, and an
    administrator signed in to the admin."""
    unit = make_unit()
    staff = make_user("staff", Role.UNIT_STAFF, units=[unit])
    auditor = make_user("auditor", Role.AUDITOR)
    indicator = make_indicator(org_unit=unit)
    report = make_report(indicator, 1, result="40", narrative="ผลไตรมาสแรก", updated_by=staff)
    report.result, report.narrative, report.version = Decimal("75"), "ผลไตรมาสแรก ฉบับแก้", 3
    report.status, report.reviewed_by = QuarterReport.Status.ACCEPTED, auditor
    report.save()
    score = make_score(indicator, 1, score="90", criterion_1="80", criterion_2="70", auditor=auditor)
    admin = make_user("root", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    return {"client": client, "indicator": indicator, "report": report, "score": score, "staff": staff}


def report_row(report):
    return QuarterReport.objects.filter(pk=report.pk).values_list(
        "version", "result", "narrative", "status", "updated_by__username", "return_comment"
    )[0]


def score_row(score):
    return AuditScore.objects.filter(pk=score.pk).values_list(
        "score", "criterion_1", "criterion_2", "comment", "auditor__username"
    )[0]


ACCEPTED_ROW = (3, Decimal("75.00"), "ผลไตรมาสแรก ฉบับแก้", "accepted", "staff", "")
SCORE_ROW = (Decimal("90.00"), Decimal("80.00"), Decimal("70.00"), "", "auditor")


def test_the_report_page_shows_everything_and_points_to_the_portal(accepted):
    client, report = accepted["client"], accepted["report"]
    response = client.get(reverse("admin:reports_quarterreport_change", args=[report.pk]))
    assert response.status_code == 200
    assert "ผลไตรมาสแรก ฉบับแก้" in response.text
    assert f'href="/indicators/{accepted["indicator"].pk}/"' in response.text
    assert 'name="narrative"' not in response.text and 'name="_save"' not in response.text


def test_the_admin_refuses_to_change_a_report(accepted):
    client, report = accepted["client"], accepted["report"]
    url = reverse("admin:reports_quarterreport_change", args=[report.pk])
    data = form_data(client.get(url), "quarterreport_form")
    data |= {"narrative": "แก้โดยผู้ดูแล", "status": "draft", "version": "3", "result": "10"}
    assert client.post(url, data).status_code == 403
    assert report_row(report) == ACCEPTED_ROW


def test_the_admin_refuses_to_add_a_report(accepted):
    client, indicator = accepted["client"], accepted["indicator"]
    url = reverse("admin:reports_quarterreport_add")
    assert client.get(url).status_code == 403
    data = {
        "indicator": indicator.pk,
        "quarter": "2",
        "status": "accepted",
        "version": "1",
        "narrative": "เพิ่มโดยผู้ดูแล",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "1000",
    }
    assert client.post(url, data).status_code == 403
    assert list(QuarterReport.objects.values_list("quarter", flat=True)) == [1]


def test_the_admin_refuses_to_delete_a_report(accepted):
    client, report = accepted["client"], accepted["report"]
    assert (
        client.post(
            reverse("admin:reports_quarterreport_delete", args=[report.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    changelist = reverse("admin:reports_quarterreport_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [report.pk], "post": "yes"})
    assert report_row(report) == ACCEPTED_ROW


def test_the_history_page_cannot_revert_a_report(accepted):
    client, report = accepted["client"], accepted["report"]
    first = report.history.earliest()  # the draft, version 1
    url = reverse("admin:reports_quarterreport_simple_history", args=[report.pk, first.history_id])
    response = client.get(url)
    assert response.status_code == 200 and 'name="_save"' not in response.text
    # The page shows the old version's form; posted back, simple_history would save it.
    data = form_data(response, "historicalquarterreport_form")
    assert data["status"] == "draft" and data["narrative"] == "ผลไตรมาสแรก"
    assert client.post(url, data).status_code == 403
    assert report_row(report) == ACCEPTED_ROW


def test_the_admin_refuses_to_change_a_score(accepted):
    client, score = accepted["client"], accepted["score"]
    url = reverse("admin:reports_auditscore_change", args=[score.pk])
    response = client.get(url)
    assert response.status_code == 200 and f'href="/indicators/{accepted["indicator"].pk}/"' in response.text
    data = {
        "indicator": score.indicator_id,
        "quarter": "1",
        "score": "0",
        "criterion_1": "0",
        "criterion_2": "0",
    }
    assert client.post(url, data).status_code == 403
    assert (
        client.post(reverse("admin:reports_auditscore_delete", args=[score.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.post(reverse("admin:reports_auditscore_add"), data | {"quarter": "2"}).status_code == 403
    assert score_row(score) == SCORE_ROW
    assert AuditScore.objects.count() == 1


def test_the_indicator_page_shows_reports_and_scores_but_ignores_posted_changes(accepted):
    client, indicator = accepted["client"], accepted["indicator"]
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    response = client.get(url)
    assert "ผลไตรมาสแรก ฉบับแก้" in response.text
    data = form_data(response, "indicator_form")
    # Change the report, delete the score and add a report, as a hand-made POST would.
    data |= {
        "name": "ชื่อใหม่ของตัวชี้วัด",
        "reports-0-id": str(accepted["report"].pk),
        "reports-0-indicator": str(indicator.pk),
        "reports-0-quarter": "1",
        "reports-0-result": "10",
        "reports-0-status": "draft",
        "reports-0-version": "3",
        "reports-0-narrative": "แก้ผ่านหน้าตัวชี้วัด",
        "reports-1-indicator": str(indicator.pk),
        "reports-1-quarter": "2",
        "reports-1-status": "accepted",
        "reports-1-version": "1",
        "reports-1-narrative": "เพิ่มผ่านหน้าตัวชี้วัด",
        "reports-TOTAL_FORMS": "2",
        "reports-INITIAL_FORMS": "1",
        "scores-0-id": str(accepted["score"].pk),
        "scores-0-indicator": str(indicator.pk),
        "scores-0-DELETE": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    # The registry fields saved; nothing of what units and auditors write changed.
    assert Indicator.objects.get(pk=indicator.pk).name == "ชื่อใหม่ของตัวชี้วัด"
    assert report_row(accepted["report"]) == ACCEPTED_ROW
    assert list(QuarterReport.objects.values_list("quarter", flat=True)) == [1]
    assert score_row(accepted["score"]) == SCORE_ROW


def test_an_indicator_with_reports_cannot_be_deleted_in_the_admin(accepted):
    client, indicator = accepted["client"], accepted["indicator"]
    url = reverse("admin:indicators_indicator_delete", args=[indicator.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:indicators_indicator_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [indicator.pk], "post": "yes"})
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    assert report_row(accepted["report"]) == ACCEPTED_ROW


def test_an_indicator_without_reports_can_still_be_deleted(accepted):
    client = accepted["client"]
    spare = make_indicator(org_unit=accepted["indicator"].org_unit)
    response = client.post(reverse("admin:indicators_indicator_delete", args=[spare.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Indicator.objects.filter(pk=spare.pk).exists()


def test_the_annual_summary_records_the_admin_who_wrote_it(accepted):
    client, indicator, staff = accepted["client"], accepted["indicator"], accepted["staff"]
    summary = AnnualSummary.objects.create(indicator=indicator, text="สรุปเดิม", updated_by=staff)
    url = reverse("admin:reports_annualsummary_change", args=[summary.pk])
    data = form_data(client.get(url), "annualsummary_form")
    # updated_by is not the admin's to choose: a posted one is ignored.
    data |= {"text": "สรุปผลการดำเนินงานใหม่", "updated_by": str(staff.pk)}
    assert client.post(url, data).status_code == 302
    summary.refresh_from_db()
    assert (summary.text, summary.updated_by.username) == ("สรุปผลการดำเนินงานใหม่", "root")
    latest = summary.history.latest()
    assert (latest.history_user.username, latest.updated_by.username) == ("root", "root")


def test_the_annual_summary_written_on_the_indicator_page_records_the_admin(accepted):
    client, indicator, staff = accepted["client"], accepted["indicator"], accepted["staff"]
    summary = AnnualSummary.objects.create(indicator=indicator, text="สรุปเดิม", updated_by=staff)
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    data = form_data(client.get(url), "indicator_form")
    assert data["annual_summary-0-text"] == "สรุปเดิม"
    data |= {"annual_summary-0-text": "สรุปจากหน้าตัวชี้วัด", "annual_summary-0-updated_by": str(staff.pk)}
    assert client.post(url, data).status_code == 302
    summary.refresh_from_db()
    assert (summary.text, summary.updated_by.username) == ("สรุปจากหน้าตัวชี้วัด", "root")
    assert summary.history.latest().history_user.username == "root"
