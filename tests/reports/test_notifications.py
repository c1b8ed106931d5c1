"""Notifications: the list and marking read, preferences, unsubscribing from a mail's
signed link, the outbox's retries, and what the mails say."""

import datetime
import re
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail as django_mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse

from indicators.models import FiscalQuarter, Role, UserSettings
from reports.models import Notification, NotificationPreference, OutgoingMail, QuarterReport
from reports.notifications import mail, reminders
from reports.notifications.unsubscribe import make_token
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user
from tests.reports.notifications.helpers import review, submit

pytestmark = pytest.mark.django_db
BANGKOK = ZoneInfo("Asia/Bangkok")


def at(*when):
    return time_machine.travel(datetime.datetime(*when, tzinfo=BANGKOK), tick=False)


@pytest.fixture
def quarter(db):
    """Q2 of 2569 due Thursday 16 April 2026 (after Songkran); unit 5016 has two
    indicators without reports, one member who reads Thai, one English."""
    year = make_fiscal_year(2569)
    FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date=datetime.date(2026, 4, 16))
    unit = make_unit("5016", "สำนักงานเขตบางรัก")
    indicators = [
        make_indicator(year, unit, code="0685", name="ร้อยละความสำเร็จของการให้บริการ (Best Service)"),
        make_indicator(year, unit, code="0686", name="จำนวนเรื่องร้องเรียนที่แก้ไขได้"),
    ]
    thai = make_user("somsri", units=[unit], email="somsri@example.org", first_name="สมศรี", last_name="ใจดี")
    english = make_user("john", units=[unit], email="john@example.org", first_name="John", last_name="Smith")
    UserSettings.objects.create(user=english, language="en")
    return {"unit": unit, "indicators": indicators, "thai": thai, "english": english}


def run_on(*when):
    with at(*when):
        reminders.run_pass()
        return mail.deliver_due()


def mail_to(address):
    (message,) = [m for m in django_mail.outbox if m.to == [address]]
    return message


# --- what the mails say ------------------------------------------------------------------------


def test_a_reminder_mail_in_thai(quarter, settings):
    settings.PORTAL_BASE_URL = "https://kpi.city.example"
    run_on(2026, 4, 3, 9)  # 5 working days before the deadline
    message = mail_to("somsri@example.org")
    print(message.subject, message.body, sep="\n")  # shown with pytest -s
    indicator = quarter["indicators"][0]
    assert message.subject == (
        "[ระบบติดตามตัวชี้วัด] รายงานผลไตรมาสที่ 2 ปีงบประมาณ พ.ศ. 2569 ครบกำหนดส่งในอีก 5 วันทำการ วันที่ 16 เมษายน 2569"
    )
    body = message.body
    assert body.startswith("เรียน สมศรี ใจดี\n")
    assert "- 5016-0685 ร้อยละความสำเร็จของการให้บริการ (Best Service)" in body
    assert "ยังไม่ได้รายงาน" in body
    assert f"https://kpi.city.example/indicators/{indicator.pk}/quarters/2/report/" in body
    unsubscribe = re.search(r"https://kpi\.city\.example/notifications/unsubscribe/([^/\s]+)/", body)
    assert unsubscribe is not None
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe.group(0)}>"
    assert "https://kpi.city.example/notifications/preferences/" in body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="th">' in html
    assert "16 เมษายน 2569" in html
    assert f'href="https://kpi.city.example/indicators/{indicator.pk}/quarters/2/report/"' in html
    assert f'href="{unsubscribe.group(0)}"' in html


def test_a_reminder_mail_in_english_for_who_chose_it(quarter):
    run_on(2026, 4, 3, 9)
    message = mail_to("john@example.org")
    assert message.subject == (
        "[KPI Portal] Reports of quarter 2 of fiscal year 2569 are due in 5 working days, "
        "on 16 April B.E. 2569"
    )
    assert message.body.startswith("Dear John Smith,\n")
    assert '<html lang="en">' in message.alternatives[0][0]


def test_the_comment_of_a_return_is_in_the_mail(quarter):
    indicator = quarter["indicators"][0]
    auditor = make_user("auditor", role=Role.AUDITOR, first_name="ผู้ตรวจ", last_name="สยป.")
    submit(indicator, quarter["thai"])
    review(indicator, auditor, False, "กรุณาแนบหลักฐาน <ภาพถ่าย> & รายชื่อ")
    mail.deliver_due()
    message = mail_to("somsri@example.org")
    assert message.subject == "[ระบบติดตามตัวชี้วัด] ส่งกลับให้แก้ไข: 5016-0685 ไตรมาสที่ 2 ปีงบประมาณ พ.ศ. 2569"
    assert "กรุณาแนบหลักฐาน <ภาพถ่าย> & รายชื่อ" in message.body
    assert "กรุณาแนบหลักฐาน &lt;ภาพถ่าย&gt; &amp; รายชื่อ" in message.alternatives[0][0]
    notification = Notification.objects.get(recipient=quarter["thai"])
    assert notification.link == reverse("quarter_report", args=[indicator.pk, 2])
    assert "กรุณาแนบหลักฐาน" in notification.body


# --- preferences and unsubscribing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_app", "email", "notifications", "mails"),
    [(True, True, 1, 1), (True, False, 1, 0), (False, True, 0, 1), (False, False, 0, 0)],
)
def test_preferences_are_respected(quarter, in_app, email, notifications, mails):
    user = quarter["thai"]
    NotificationPreference.objects.create(user=user, kind="reminders", in_app=in_app, email=email)
    run_on(2026, 4, 3, 9)
    assert Notification.objects.filter(recipient=user).count() == notifications
    assert len([m for m in django_mail.outbox if m.to == [user.email]]) == mails
    # Turned off is still handled once: turning it on later sends no stale reminder.
    django_mail.outbox.clear()
    run_on(2026, 4, 3, 15)
    assert django_mail.outbox == []


def test_the_preferences_page(quarter):
    user = quarter["thai"]
    client = Client()
    client.force_login(user)
    page = client.get(reverse("notification_preferences"))
    assert page.status_code == 200
    assert 'name="reminders_email" id="id_reminders_email" checked' in page.text
    response = client.post(
        reverse("notification_preferences"),
        {"language": "en", "reminders_in_app": "on", "reviews_in_app": "on", "reviews_email": "on"},
    )
    assert response.status_code == 302
    chosen = {p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user=user)}
    assert chosen == {"reminders": (True, False), "reviews": (True, True), "digests": (False, False)}
    assert UserSettings.language_of(user) == "en"
    bad = client.post(reverse("notification_preferences"), {"language": "xx", "reminders_in_app": "on"})
    assert bad.status_code == 400
    assert UserSettings.language_of(user) == "en"


def test_unsubscribing_from_the_link_in_a_mail_without_signing_in(quarter):
    run_on(2026, 4, 3, 9)
    body = mail_to("somsri@example.org").body
    path = re.search(r"http://127\.0\.0\.1:8000(/notifications/unsubscribe/\S+/)", body).group(1)
    client = Client(enforce_csrf_checks=True)  # not signed in
    page = client.get(path)
    assert page.status_code == 200
    assert "เตือนกำหนดส่งรายงาน" in page.text  # the kind it turns off
    assert not NotificationPreference.objects.exists()  # opening the link changes nothing
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = client.post(path, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    preference = NotificationPreference.objects.get(user=quarter["thai"])
    assert (preference.kind, preference.in_app, preference.email) == ("reminders", True, False)
    # The next reminder is in the portal only.
    django_mail.outbox.clear()
    run_on(2026, 4, 10, 9)
    assert [m.to for m in django_mail.outbox] == [["john@example.org"]]
    assert Notification.objects.filter(recipient=quarter["thai"]).count() == 2


def test_a_forged_post_to_the_unsubscribe_link_is_refused(quarter):
    path = reverse("notification_unsubscribe", args=[make_token(quarter["thai"], ["reminders"])])
    response = Client(enforce_csrf_checks=True).post(path, headers={"Origin": "https://attacker.example"})
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "WzEsWyJkaWdlc3RzIl1d" + token[token.index(":") :],  # the user and kinds
        lambda token: token[:10],  # cut
    ],
    ids=["signature", "payload", "cut"],
)
def test_a_changed_unsubscribe_link_is_refused(quarter, change):
    token = make_token(quarter["thai"], ["reminders"])
    path = reverse("notification_unsubscribe", args=[change(token)])
    client = Client()
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 404
        assert "ลิงก์นี้ใช้ไม่ได้" in response.text
    assert not NotificationPreference.objects.exists()


def test_a_link_signed_for_another_purpose_is_refused(quarter):
    from django.core import signing

    token = signing.dumps([quarter["thai"].pk, ["reminders"]])  # no salt: e.g. another feature's
    assert Client().get(reverse("notification_unsubscribe", args=[token])).status_code == 404


# --- the list in the portal --------------------------------------------------------------------


def test_the_list_shows_ones_own_notifications_and_marks_them_read(quarter):
    run_on(2026, 4, 3, 9)
    user, other = quarter["thai"], quarter["english"]
    mine = Notification.objects.get(recipient=user)
    theirs = Notification.objects.get(recipient=other)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("notification_list"))
    assert mine.title in page.text and theirs.title not in page.text
    client.get(reverse("notification_list"))
    mine.refresh_from_db()
    assert mine.read_at is None  # reading the list changes nothing
    assert client.post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("notification_open", args=[mine.pk]))
    assert response.status_code == 302 and response.url == reverse("home")
    mine.refresh_from_db()
    assert mine.read_at is not None
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(quarter):
    user = quarter["thai"]
    for number in range(3):
        Notification.objects.create(recipient=user, kind="reminders", title=f"เรื่อง {number}")
    Notification.objects.create(recipient=quarter["english"], kind="reminders", title="other")
    client = Client()
    client.force_login(user)
    assert client.post(reverse("notification_mark_all_read")).status_code == 302
    assert not Notification.objects.filter(recipient=user).unread().exists()
    assert Notification.objects.filter(recipient=quarter["english"]).unread().count() == 1


def test_an_outside_link_is_never_followed(quarter):
    user = quarter["thai"]
    notification = Notification.objects.create(
        recipient=user, kind="reminders", title="x", link="https://attacker.example/"
    )
    client = Client()
    client.force_login(user)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response.url == reverse("notification_list")


# --- the outbox: retries -----------------------------------------------------------------------


class FlakyBackend(EmailBackend):
    """The in-memory backend, refusing the first ``failures`` messages."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.reports.test_notifications.FlakyBackend"
    yield FlakyBackend
    FlakyBackend.failures = 0


def test_a_failed_mail_is_retried_then_sent(quarter, flaky):
    flaky.failures = 2
    with at(2026, 4, 3, 9, 0):
        reminders.run_pass()
        assert mail.deliver_due().failed == 2  # both mails; they wait 1 minute
    failed = OutgoingMail.objects.get(to="somsri@example.org")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "SMTPServerDisconnected" in failed.last_error
    with at(2026, 4, 3, 9, 0, 30):
        assert mail.deliver_due().sent == 0  # not yet
    with at(2026, 4, 3, 9, 1, 0):
        assert mail.deliver_due().sent == 2
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 2)
    assert sorted(m.to[0] for m in django_mail.outbox) == ["john@example.org", "somsri@example.org"]


def test_a_mail_that_keeps_failing_is_shown_to_administrators_then_sent_again(quarter, flaky, admin_client):
    flaky.failures = 100
    start = datetime.datetime(2026, 4, 3, 9, 0, tzinfo=BANGKOK)
    with time_machine.travel(start, tick=False) as traveller:
        reminders.run_pass()
        # Tries at 0, then after 1, 5, 15, 60 and 240 minutes: six in all.
        tries = []
        for minutes in (0, 1, 6, 21, 81, 321, 10_000):
            traveller.move_to(start + datetime.timedelta(minutes=minutes))
            tries.append(mail.deliver_due().failed)
    assert tries == [2, 2, 2, 2, 2, 2, 0]
    failed = OutgoingMail.objects.get(to="somsri@example.org")
    assert (failed.status, failed.attempts) == ("failed", 6)
    changelist = admin_client.get(reverse("admin:reports_outgoingmail_changelist") + "?status__exact=failed")
    assert changelist.status_code == 200
    assert "somsri@example.org" in changelist.text and "SMTPServerDisconnected" in changelist.text
    flaky.failures = 0
    response = admin_client.post(
        reverse("admin:reports_outgoingmail_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    assert mail.deliver_due().sent == 1
    failed.refresh_from_db()
    assert failed.status == "sent"


def test_switching_language_while_signed_in_sets_the_language_of_mails(quarter):
    user = quarter["thai"]
    client = Client()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert UserSettings.language_of(user) == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})  # not a language: ignored
    assert UserSettings.language_of(user) == "en"
    Client().post(reverse("set_language"), {"language": "th", "next": "/"})  # signed out: the cookie only
    assert UserSettings.language_of(user) == "en"


def test_the_navigation_counts_ones_own_unread_notifications(quarter):
    user = quarter["thai"]
    for number in range(3):
        Notification.objects.create(recipient=user, kind="reminders", title=f"เรื่อง {number}")
    read_at = "2026-04-01T09:00+07:00"
    Notification.objects.create(recipient=user, kind="reminders", title="read", read_at=read_at)
    Notification.objects.create(recipient=quarter["english"], kind="reminders", title="other")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("indicator_list"))
    assert re.search(r'id="unread-count">3<span class="visually-hidden"> ยังไม่อ่าน', page.text)
    Notification.objects.filter(recipient=user).update(read_at=read_at)
    assert 'id="unread-count"' not in client.get(reverse("indicator_list")).text


# --- the review pages tell the unit ------------------------------------------------------------


def test_the_review_page_tells_the_units_staff(setup):
    from tests.reports.reporting import review as review_page

    indicator, staff, colleague = setup["indicator"], setup["staff"], setup["colleague"]
    make_report(indicator, 1, "30", "รายงาน", status=QuarterReport.Status.SUBMITTED)
    auditor = Client()
    auditor.force_login(setup["auditor"])
    response = review_page(auditor, indicator, accept=False, comment="ขอหลักฐานเพิ่ม")
    assert response.status_code == 302
    told = Notification.objects.order_by("recipient__username")
    assert [(n.recipient, n.kind) for n in told] == [(staff, "reviews"), (colleague, "reviews")]
    assert all("ขอหลักฐานเพิ่ม" in n.body for n in told)
    # A review refused (the report changed meanwhile) tells nothing more.
    assert review_page(auditor, indicator, accept=True, version=1).status_code in (403, 409)
    assert Notification.objects.count() == 2


def test_reopening_tells_the_units_staff_why(setup):
    indicator = setup["indicator"]
    make_report(indicator, 1, "10", "ผ่านแล้ว", status=QuarterReport.Status.ACCEPTED)
    admin = Client()
    admin.force_login(setup["admin"])
    url = reverse("quarter_reopen", args=[indicator.pk, 1])
    assert admin.post(url, {"reason": "หน่วยงานขอแก้ไขตัวเลข"}).status_code == 302
    notification = Notification.objects.get(recipient=setup["staff"])
    assert notification.title.startswith("ส่งกลับให้แก้ไข: 5016-0685")
    assert "หน่วยงานขอแก้ไขตัวเลข" in notification.body
