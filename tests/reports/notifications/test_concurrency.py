"""Two workers running the reminder pass at the same moment send each reminder once.

Each worker is a thread with its own database connection. With the pass's lock
(PostgreSQL's advisory lock) one of them skips; with the lock taken away, both plan the
same digests and write them at the same time, and the unique constraint on
SentReminder keeps every reminder single (on PostgreSQL the second insert waits for the
first transaction, then fails; SQLite takes one write transaction at a time)."""

import datetime
import threading
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail as django_mail
from django.db import IntegrityError, connection, transaction

from indicators.models import FiscalQuarter
from reports.models import Notification, OutgoingMail, SentReminder
from reports.notifications import mail, reminders
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user

pytestmark = pytest.mark.django_db(transaction=True)
FRIDAY_3_APRIL_2026 = datetime.datetime(2026, 4, 3, 9, tzinfo=ZoneInfo("Asia/Bangkok"))


@pytest.fixture
def staff(db):
    year = make_fiscal_year(2569, move_due_date_to_working_day=True)
    period = FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date=datetime.date(2026, 4, 15))
    people = []
    for number in range(5):
        unit = make_unit(f"70{number:02d}")
        make_indicator(year, unit)
        make_indicator(year, unit)
        people.append(make_user(f"staff{number}", units=[unit], email=f"staff{number}@example.org"))
    return period, people


def run_two_workers(target):
    errors = []

    def worker():
        try:
            target()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with time_machine.travel(FRIDAY_3_APRIL_2026, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)


def assert_each_told_once(people):
    assert SentReminder.objects.count() == len(people)
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == sorted(
        person.username for person in people
    )
    assert OutgoingMail.objects.count() == len(people)
    with time_machine.travel(FRIDAY_3_APRIL_2026, tick=False):
        mail.deliver_due()
    assert sorted(m.to[0] for m in django_mail.outbox) == sorted(person.email for person in people)


def test_two_workers_at_once_tell_everyone_once(staff):
    period, people = staff
    run_two_workers(reminders.run_pass)
    assert_each_told_once(people)


def test_without_the_lock_the_unique_constraint_keeps_reminders_single(staff, monkeypatch):
    period, people = staff

    @contextmanager
    def no_lock():
        yield True

    monkeypatch.setattr(reminders, "pass_lock", no_lock)
    # Both workers finish planning before either writes: they plan the same digests.
    planned = threading.Barrier(2, timeout=30)
    plan = reminders.plan

    def plan_then_wait(today, calendar):
        digests = plan(today, calendar)
        planned.wait()
        return digests

    monkeypatch.setattr(reminders, "plan", plan_then_wait)
    results = []
    run_two_workers(lambda: results.append(reminders.run_pass()))
    assert sum(result.sent for result in results) == 5
    assert_each_told_once(people)


def test_the_constraint_refuses_a_second_row(staff):
    period, people = staff
    SentReminder.objects.create(user=people[0], reason="deadline", fiscal_quarter=period, step="before-5")
    with pytest.raises(IntegrityError), transaction.atomic():
        SentReminder.objects.create(user=people[0], reason="deadline", fiscal_quarter=period, step="before-5")
    SentReminder.objects.create(user=people[0], reason="deadline", fiscal_quarter=period, step="before-1")
    assert SentReminder.objects.count() == 2


def test_two_workers_sending_the_outbox_send_each_mail_once(staff):
    period, people = staff
    with time_machine.travel(FRIDAY_3_APRIL_2026, tick=False):
        reminders.run_pass()
    sent = []
    run_two_workers(lambda: sent.append(mail.deliver_due(now=FRIDAY_3_APRIL_2026).sent))
    assert sum(sent) == 5
    assert sorted(m.to[0] for m in django_mail.outbox) == sorted(person.email for person in people)
    assert set(OutgoingMail.objects.values_list("status", "attempts")) == {("sent", 1)}
