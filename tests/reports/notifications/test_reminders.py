"""The reminder pass across a whole quarter: who receives what on which day.

The clock moves (time-machine) over Q2 of fiscal year 2569, whose deadline, Wednesday
15 April 2026, is the last day of Songkran (13-15 April; Monday 6 April is Chakri Day).
With the year moving deadlines to the next working day, the deadline is Thursday 16
April. The pass runs twice on every day; every expected day below is counted by hand on
the 2026 calendar.
"""

import datetime
import re

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import FiscalQuarter, Role, UnitMembership, UserSettings
from reports.models import Notification, OutgoingMail, QuarterReport, SentReminder
from reports.notifications import mail, reminders
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user
from tests.reports.notifications.helpers import BANGKOK, at, review, submit

D = datetime.date


@pytest.fixture
def world(db):
    def build(move: bool):
        year = make_fiscal_year(2569, move_due_date_to_working_day=move)
        period = FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date=D(2026, 4, 15))
        unit_a = make_unit("5016", "สำนักงานเขตหนึ่ง")
        unit_b = make_unit("5001", "สำนักงานเขตสอง")
        people = {
            "staff_a": make_user("staff_a", units=[unit_a], email="staff.a@example.org"),
            "head_a": make_user("head_a", email="head.a@example.org"),
            "staff_b": make_user("staff_b", units=[unit_b], email="staff.b@example.org"),
            "staff_b_en": make_user("staff_b_en", units=[unit_b], email="staff.b.en@example.org"),
            "no_email": make_user("no_email", units=[unit_b]),
            "auditor": make_user("auditor", role=Role.AUDITOR, email="auditor@example.org"),
            "executive": make_user("executive", role=Role.EXECUTIVE, email="exec@example.org"),
        }
        # The head of unit A reads its pages but enters nothing: no unit-staff role.
        people["head_a"].groups.clear()
        UnitMembership.objects.create(user=people["head_a"], org_unit=unit_a, is_head=True)
        UserSettings.objects.create(user=people["staff_b_en"], language="en")
        indicators = {
            "a1": make_indicator(year, unit_a, code="0001"),
            "a2": make_indicator(year, unit_a, code="0002"),
            "b1": make_indicator(year, unit_b, code="0101"),
        }
        return period, people, indicators

    return build


CODE = re.compile(r"\b50(?:16|01)-\d{4}\b")


def walk(period, people, indicators, actions):
    """Run the pass at 9:00 and 15:00 from 25 March to 8 May, the ``actions`` at 10:00;
    send the outbox after each. Returns the mails as (day, recipient, codes named)."""
    usernames = {user.email: name for name, user in people.items()}
    received = []
    day = D(2026, 3, 25)
    while day <= D(2026, 5, 8):
        for hour in (9, 10, 15):
            with at(day, hour):
                if hour == 10:
                    for action in actions.get(day, []):
                        action()
                else:
                    reminders.run_pass()
                mail.deliver_due()
                for message in django_mail.outbox:
                    codes = tuple(sorted(set(CODE.findall(message.body))))
                    received.append((day, usernames[message.to[0]], codes))
                django_mail.outbox.clear()
        day += datetime.timedelta(days=1)
    return received


def actions_for(people, indicators):
    return {
        D(2026, 4, 9): [lambda: submit(indicators["b1"], people["staff_b"])],
        D(2026, 4, 17): [lambda: submit(indicators["a2"], people["staff_a"])],
        D(2026, 4, 21): [lambda: review(indicators["b1"], people["auditor"], False, "กรุณาแนบหลักฐาน")],
        D(2026, 4, 24): [lambda: review(indicators["a2"], people["auditor"], True)],
    }


A1, A2, B1 = "5016-0001", "5016-0002", "5001-0101"


def test_a_quarter_whose_deadline_moves_off_songkran(world):
    period, people, indicators = world(move=True)
    assert period.effective_due_date == D(2026, 4, 16)
    received = walk(period, people, indicators, actions_for(people, indicators))
    assert received == [
        # 5 working days before Thursday 16 April (Chakri Day and Songkran skipped).
        (D(2026, 4, 3), "staff_a", (A1, A2)),
        (D(2026, 4, 3), "staff_b", (B1,)),
        (D(2026, 4, 3), "staff_b_en", (B1,)),
        # 1 working day before; unit B submitted on the 9th.
        (D(2026, 4, 10), "staff_a", (A1, A2)),
        # On the day.
        (D(2026, 4, 16), "staff_a", (A1, A2)),
        # 1 working day late, copied to the head; staff_a submits A2 at 10:00.
        (D(2026, 4, 17), "staff_a", (A1, A2)),
        (D(2026, 4, 17), "head_a", (A1, A2)),
        # B1 (submitted Thursday 9) has waited 4 working days: 10, 16, 17, 20 April.
        (D(2026, 4, 20), "auditor", (B1,)),
        # 3 working days late; at 10:00 B1 is returned with a comment, so at 15:00
        # unit B is 3 working days late too.
        (D(2026, 4, 21), "staff_a", (A1,)),
        (D(2026, 4, 21), "head_a", (A1,)),
        (D(2026, 4, 21), "staff_b", (B1,)),
        (D(2026, 4, 21), "staff_b_en", (B1,)),
        (D(2026, 4, 21), "staff_b", (B1,)),
        (D(2026, 4, 21), "staff_b_en", (B1,)),
        # 5 working days late: the units still missing reports, to executives; A2
        # (submitted Friday 17) has waited 4 working days.
        (D(2026, 4, 23), "auditor", (A2,)),
        (D(2026, 4, 23), "executive", ()),
        # A2 accepted.
        (D(2026, 4, 24), "staff_a", (A2,)),
    ]
    executive_mail = OutgoingMail.objects.get(to="exec@example.org")
    assert "5001 สำนักงานเขตสอง" in executive_mail.text_body
    assert "5016 สำนักงานเขตหนึ่ง" in executive_mail.text_body
    # The submission after the deadline is late, the one before it is not.
    assert QuarterReport.objects.get(indicator=indicators["a2"]).is_late
    assert not QuarterReport.objects.get(indicator=indicators["b1"]).is_late


def test_a_quarter_whose_deadline_stays_on_the_holiday(world):
    period, people, indicators = world(move=False)
    assert period.effective_due_date == D(2026, 4, 15)
    received = walk(period, people, indicators, actions_for(people, indicators))
    assert received == [
        (D(2026, 4, 3), "staff_a", (A1, A2)),
        (D(2026, 4, 3), "staff_b", (B1,)),
        (D(2026, 4, 3), "staff_b_en", (B1,)),
        (D(2026, 4, 10), "staff_a", (A1, A2)),
        # On the day, a holiday.
        (D(2026, 4, 15), "staff_a", (A1, A2)),
        (D(2026, 4, 16), "staff_a", (A1, A2)),
        (D(2026, 4, 16), "head_a", (A1, A2)),
        # 3 working days late: 16, 17, 20; B1 waited 4 working days.
        (D(2026, 4, 20), "staff_a", (A1,)),
        (D(2026, 4, 20), "head_a", (A1,)),
        (D(2026, 4, 20), "auditor", (B1,)),
        (D(2026, 4, 21), "staff_b", (B1,)),
        (D(2026, 4, 21), "staff_b_en", (B1,)),
        # 5 working days late: 16, 17, 20, 21, 22.
        (D(2026, 4, 22), "executive", ()),
        (D(2026, 4, 23), "auditor", (A2,)),
        (D(2026, 4, 24), "staff_a", (A2,)),
    ]


def test_each_reminder_is_recorded_once_and_everyone_gets_one_digest_per_pass(world):
    period, people, indicators = world(move=True)
    walk(period, people, indicators, actions_for(people, indicators))
    sent = sorted(
        (row.sent_at.astimezone(BANGKOK).date(), row.user.username, row.reason, row.step)
        for row in SentReminder.objects.select_related("user")
    )
    b1 = QuarterReport.objects.get(indicator=indicators["b1"])
    a2 = QuarterReport.objects.get(indicator=indicators["a2"])
    assert sent == [
        (D(2026, 4, 3), "no_email", "deadline", "before-5"),
        (D(2026, 4, 3), "staff_a", "deadline", "before-5"),
        (D(2026, 4, 3), "staff_b", "deadline", "before-5"),
        (D(2026, 4, 3), "staff_b_en", "deadline", "before-5"),
        (D(2026, 4, 10), "staff_a", "deadline", "before-1"),
        (D(2026, 4, 16), "staff_a", "deadline", "due"),
        (D(2026, 4, 17), "head_a", "head_copy", "after-1"),
        (D(2026, 4, 17), "staff_a", "deadline", "after-1"),
        (D(2026, 4, 20), "auditor", "review_waiting", f"report-{b1.pk}-20260409T100000"),
        (D(2026, 4, 21), "head_a", "head_copy", "after-3"),
        (D(2026, 4, 21), "no_email", "deadline", "after-3"),
        (D(2026, 4, 21), "staff_a", "deadline", "after-3"),
        (D(2026, 4, 21), "staff_b", "deadline", "after-3"),
        (D(2026, 4, 21), "staff_b_en", "deadline", "after-3"),
        (D(2026, 4, 23), "auditor", "review_waiting", f"report-{a2.pk}-20260417T100000"),
        (D(2026, 4, 23), "executive", "late_units", "after-5"),
    ]
    # Without an email address, the reminder is in the portal only.
    # before-5, the return, after-3
    assert Notification.objects.filter(recipient=people["no_email"]).count() == 3
    assert not OutgoingMail.objects.filter(recipient=people["no_email"]).exists()


def test_one_digest_lists_everything_a_person_is_told_in_a_pass(world):
    period, people, indicators = world(move=True)
    # staff_a also belongs to unit B and heads it: one mail for the two units and the copy.
    unit_b = indicators["b1"].org_unit
    UnitMembership.objects.create(user=people["staff_a"], org_unit=unit_b, is_head=True)
    with at(D(2026, 4, 17), 9):
        result = reminders.run_pass()
        mail.deliver_due()
    to_staff_a = [m for m in django_mail.outbox if m.to == ["staff.a@example.org"]]
    assert len(to_staff_a) == 1
    assert set(CODE.findall(to_staff_a[0].body)) == {A1, A2, B1}
    # Their own reminder already lists unit B's indicator: no copy repeats it.
    assert [s.reason for d in result.digests if d.user == people["staff_a"] for s in d.sections] == [
        "deadline"
    ]
    assert Notification.objects.filter(recipient=people["staff_a"]).count() == 1


def test_a_missed_day_is_caught_up_until_the_next_step(world):
    period, people, indicators = world(move=True)
    # No pass ran on Friday 3 April (before-5): on Monday 6 (Chakri Day) and Tuesday 7
    # the pass still sends it; from Friday 10 on, the next step replaces it.
    with at(D(2026, 4, 7), 9):
        reminders.run_pass()
    assert (
        SentReminder.objects.filter(user=people["staff_a"]).values_list("step", flat=True).get() == "before-5"
    )
    with at(D(2026, 4, 9), 9):
        assert reminders.run_pass().sent == 0  # planned again, already sent
    with at(D(2026, 4, 10), 9):
        reminders.run_pass()
    assert list(SentReminder.objects.filter(user=people["staff_a"]).values_list("step", flat=True)) == [
        "before-1",
        "before-5",
    ]


def test_a_pass_planned_again_tries_no_claim_already_sent(world):
    period, people, indicators = world(move=True)
    walk(period, people, indicators, actions_for(people, indicators))
    # The 23rd again: the late units are planned once more for the executive, sent that day.
    with at(D(2026, 4, 23), 16), CaptureQueriesContext(connection) as queries:
        result = reminders.run_pass()
    assert result.sent == 0
    planned = {
        (digest.user.username, section.reason) for digest in result.digests for section in digest.sections
    }
    assert planned == {("executive", "late_units")}
    statements = {query["sql"].split()[0].upper() for query in queries}
    assert not statements & {"INSERT", "SAVEPOINT", "ROLLBACK"}


def test_a_locked_quarter_reminds_no_one(world):
    period, people, indicators = world(move=True)
    with at(D(2026, 4, 17), 8):
        period.lock(by=people["auditor"])
    with at(D(2026, 4, 17), 9):
        assert reminders.run_pass().digests == []


def test_the_command_dry_run_writes_nothing(world, capsys):
    period, people, indicators = world(move=True)
    call_command("send_reminders", "--dry-run", "--today", "2026-04-03")
    out = capsys.readouterr().out
    assert "would tell staff_a: deadline 2569 ไตรมาสที่ 2 before-5 (2)" in out
    assert "4 people would be told" in out
    assert not SentReminder.objects.exists() and not Notification.objects.exists()
    call_command("send_reminders", "--today", "2026-04-03")
    assert SentReminder.objects.count() == 4
    assert len(django_mail.outbox) == 3  # no_email has none
    call_command("send_reminders", "--today", "2026-04-03")
    assert SentReminder.objects.count() == 4 and len(django_mail.outbox) == 3


def test_the_command_refuses_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today", "3/4/2569")


def test_the_book_worker_runs_the_pass_and_sends_the_mail(world, monkeypatch):
    # db_worker closes "old" connections between tasks, the test's own among them.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    world(move=True)
    with at(D(2026, 4, 3), 9):
        call_command("book_worker", "--once", "--worker-id", "test-worker", verbosity=0)
    assert sorted(m.to[0] for m in django_mail.outbox) == [
        "staff.a@example.org",
        "staff.b.en@example.org",
        "staff.b@example.org",
    ]


def test_the_worker_runs_the_pass_every_interval_and_survives_a_failure(world, monkeypatch, caplog):
    from reports.notifications.worker import NotificationDuty

    world(move=True)
    passes = []
    monkeypatch.setattr(reminders, "run_pass", lambda: passes.append(1))
    now = [1000.0]
    duty = NotificationDuty(interval=300, clock=lambda: now[0])
    for seconds in (0, 1, 299):  # a poll a second or so
        now[0] = 1000.0 + seconds
        duty.tick()
    assert len(passes) == 1
    now[0] = 1300.0
    duty.tick()
    assert len(passes) == 2

    def broken():
        raise RuntimeError("database went away")

    monkeypatch.setattr(reminders, "run_pass", broken)
    now[0] = 1600.0
    duty.tick()  # logged, not raised
    assert "database went away" in caplog.text
