"""The reminder pass: who is reminded of what today, on the Thai working calendar.

All "N days" are working days (``indicators.calendar``) counted from each quarter's
*effective* deadline (``FiscalQuarter.effective_due_date``). Each pass:

- **unit staff** (members of a unit with the unit-staff role) whose unit has indicators
  of an open quarter not yet submitted (no report, a draft, or a report returned to
  them): ``REMINDER_DAYS_BEFORE`` working days before the deadline (5 and 1), on the
  day, and ``REMINDER_DAYS_AFTER`` after it (1 and 3);
- the **head of the unit** (``UnitMembership.is_head``): a copy of the reminders after
  the deadline;
- **executives**: ``REMINDER_EXECUTIVE_DAYS_LATE`` working days after the deadline (5),
  the units that still have reports missing;
- **auditors**: each submission that has waited more than
  ``REMINDER_REVIEW_WAITING_DAYS`` working days (3) for review.

Everyone gets one digest per pass, whatever the number of indicators, quarters and
reasons. A step whose day passed while no pass ran (all workers stopped) is caught up
until the next step's day; earlier ones are skipped. Locked quarters remind no one.

Exactly once: a ``SentReminder`` row (user, reason, quarter, step) is inserted in the
transaction that writes the person's notification and mail; its unique constraint turns
a second insert, by a later pass or by another worker at the same moment, into "already
sent". On PostgreSQL an advisory lock also lets only one worker run the pass at a time.
"""

import datetime
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from indicators.calendar import WorkingCalendar
from indicators.models import FiscalQuarter, Indicator, Role, UnitMembership, working_calendar
from reports.models import NotificationKind, QuarterReport, SentReminder
from reports.notifications import messages
from reports.notifications.preferences import channels_of, languages_of

logger = logging.getLogger(__name__)

REPORTED = (QuarterReport.Status.SUBMITTED, QuarterReport.Status.ACCEPTED)
# pg_try_advisory_lock's key: any number no other part of the portal uses.
PASS_LOCK_KEY = 7_713_013
# Quarters whose deadline is this far away in calendar days cannot be in any step.
HORIZON_DAYS = 120


@dataclass(frozen=True)
class Step:
    """A reminder ``offset`` working days from the deadline (negative: before it)."""

    key: str
    offset: int


def deadline_steps() -> list[Step]:
    before = [Step(f"before-{n}", -n) for n in sorted(settings.REMINDER_DAYS_BEFORE, reverse=True)]
    after = [Step(f"after-{n}", n) for n in sorted(settings.REMINDER_DAYS_AFTER)]
    return [*before, Step("due", 0), *after]


def executive_step() -> Step:
    days = settings.REMINDER_EXECUTIVE_DAYS_LATE
    return Step(f"after-{days}", days)


def current_step(steps: list[Step], deadline: datetime.date, today: datetime.date, calendar) -> Step | None:
    """The step whose day is ``today``, or the last one whose day passed while the next
    one's has not come (the last step: until the working day after it)."""
    days = [calendar.add_working_days(deadline, step.offset) for step in steps]
    current = None
    for index, (step, day) in enumerate(zip(steps, days, strict=True)):
        if day > today:
            break
        window_end = days[index + 1] if index + 1 < len(days) else calendar.add_working_days(day, 1)
        if today < window_end:
            current = step
    return current


@dataclass
class Section:
    """One reason to tell one person something, in a quarter.

    ``claims`` are the ``SentReminder`` steps the section needs, each with what it
    covers: one step for a whole list (deadline reminders, copies, late units), one per
    submission for auditors (each submission is told once)."""

    reason: str
    period: FiscalQuarter
    step: Step
    indicators: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    units: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.reason in (SentReminder.Reason.DEADLINE, SentReminder.Reason.HEAD_COPY):
            return NotificationKind.REMINDERS
        return NotificationKind.DIGESTS

    def claims(self):
        if self.reason == SentReminder.Reason.REVIEW_WAITING:
            return [(waiting_step(report), report) for report in self.reports]
        return [(self.step.key, None)]

    def keep(self, claimed_items) -> "Section | None":
        """This section with only what this pass claimed, or None."""
        if self.reason == SentReminder.Reason.REVIEW_WAITING:
            self.reports = [report for report in self.reports if report in claimed_items]
            return self if self.reports else None
        return self if claimed_items else None


def waiting_step(report: QuarterReport) -> str:
    """A submission: a report submitted again after a return is waited on anew."""
    return f"report-{report.pk}-{timezone.localtime(report.submitted_at):%Y%m%dT%H%M%S}"


@dataclass
class Digest:
    user: object
    sections: list[Section] = field(default_factory=list)


@dataclass
class PassResult:
    skipped: bool = False
    digests: list[Digest] = field(default_factory=list)
    sent: int = 0

    def describe(self) -> list[str]:
        return [
            f"{digest.user.get_username()}: "
            + "; ".join(
                f"{section.reason} {section.period} {section.step.key} "
                f"({len(section.indicators) or len(section.reports) or len(section.units)})"
                for section in digest.sections
            )
            for digest in self.digests
        ]


def run_pass(today: datetime.date | None = None, *, dry_run: bool = False) -> PassResult:
    """Plan today's reminders and, unless ``dry_run``, write each person's digest."""
    today = today or timezone.localdate()
    calendar = working_calendar()
    with pass_lock() as acquired:
        if not acquired:
            logger.info("Reminder pass skipped: another worker is running it")
            return PassResult(skipped=True)
        digests = plan(today, calendar)
        result = PassResult(digests=digests)
        if dry_run:
            return result
        user_ids = [digest.user.pk for digest in digests]
        channels, languages = channels_of(user_ids), languages_of(user_ids)
        sent = sent_before(digests)
        for digest in digests:
            result.sent += send_digest(digest, channels, languages[digest.user.pk], calendar, today, sent)
        if result.sent:
            logger.info("Reminder pass of %s: %d digests written", today, result.sent)
        return result


@contextmanager
def pass_lock():
    """One pass at a time on PostgreSQL (a session advisory lock, released at the end
    or when the worker's connection closes). SQLite runs one write transaction at a
    time anyway; there the unique constraint alone keeps reminders single."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PASS_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PASS_LOCK_KEY])


def plan(today: datetime.date, calendar: WorkingCalendar) -> list[Digest]:
    """Everyone's sections for ``today``, in a fixed number of queries per open quarter."""
    digests: dict[int, Digest] = {}

    def add(user, section: Section) -> None:
        digests.setdefault(user.pk, Digest(user)).sections.append(section)

    periods = list(
        FiscalQuarter.objects.filter(
            locked_at__isnull=True,
            effective_due_date__range=(
                today - datetime.timedelta(days=HORIZON_DAYS),
                today + datetime.timedelta(days=HORIZON_DAYS),
            ),
        )
        .select_related("fiscal_year")
        .order_by("effective_due_date", "pk")
    )
    executives = None
    for period in periods:
        step = current_step(deadline_steps(), period.effective_due_date, today, calendar)
        late_step = current_step([executive_step()], period.effective_due_date, today, calendar)
        if step is None and late_step is None:
            continue
        pending = pending_indicators(period)
        if not pending:
            continue
        by_unit = defaultdict(list)
        for indicator in pending:
            by_unit[indicator.org_unit_id].append(indicator)
        if step is not None:
            for user, indicators in staff_lists(by_unit):
                add(user, Section(SentReminder.Reason.DEADLINE, period, step, indicators=indicators))
            if step.offset > 0:
                for user, indicators in head_lists(by_unit, digests, period):
                    add(user, Section(SentReminder.Reason.HEAD_COPY, period, step, indicators=indicators))
        if late_step is not None:
            if executives is None:
                executives = users_with_role(Role.EXECUTIVE)
            units = [(indicators[0].org_unit, len(indicators)) for indicators in by_unit.values()]
            units.sort(key=lambda unit_count: unit_count[0].code)
            for user in executives:
                add(user, Section(SentReminder.Reason.LATE_UNITS, period, late_step, units=units))
    for period, reports in waiting_submissions(today, calendar):
        step = Step(f"waiting-{settings.REMINDER_REVIEW_WAITING_DAYS}", settings.REMINDER_REVIEW_WAITING_DAYS)
        for user in users_with_role(Role.AUDITOR):
            add(user, Section(SentReminder.Reason.REVIEW_WAITING, period, step, reports=list(reports)))
    return sorted(digests.values(), key=lambda digest: digest.user.pk)


def pending_indicators(period: FiscalQuarter) -> list[Indicator]:
    """The indicators of ``period``'s year whose report for the quarter is not submitted."""
    reported = QuarterReport.objects.filter(
        indicator=OuterRef("pk"), quarter=period.quarter, status__in=REPORTED
    )
    status = QuarterReport.objects.filter(indicator=OuterRef("pk"), quarter=period.quarter).values("status")
    return list(
        Indicator.objects.filter(fiscal_year_id=period.fiscal_year_id)
        .exclude(Exists(reported))
        .annotate(report_status=Subquery(status[:1]))
        .select_related("org_unit", "fiscal_year")
        .order_by("org_unit__code", "sequence", "code")
    )


def memberships(unit_ids):
    user_model = get_user_model()
    is_staff_member = Exists(
        user_model.groups.through.objects.filter(user_id=OuterRef("user_id"), group__name=Role.UNIT_STAFF)
    )
    return (
        UnitMembership.objects.filter(org_unit_id__in=list(unit_ids), user__is_active=True)
        .annotate(is_staff_member=is_staff_member)
        .select_related("user")
        .order_by("user_id", "org_unit__code")
    )


def staff_lists(by_unit):
    """(user, their units' pending indicators) for each unit-staff member."""
    lists = {}
    for membership in memberships(by_unit):
        if membership.is_staff_member:
            user, indicators = lists.setdefault(membership.user_id, (membership.user, []))
            indicators.extend(by_unit[membership.org_unit_id])
    return list(lists.values())


def head_lists(by_unit, digests, period):
    """(head, their units' pending indicators) for each head of unit, leaving out the
    indicators already in the head's own reminder of the same quarter."""
    lists = {}
    for membership in memberships(by_unit):
        if not membership.is_head:
            continue
        own = {
            indicator.pk
            for section in getattr(digests.get(membership.user_id), "sections", [])
            if section.reason == SentReminder.Reason.DEADLINE and section.period == period
            for indicator in section.indicators
        }
        user, indicators = lists.setdefault(membership.user_id, (membership.user, []))
        indicators.extend(i for i in by_unit[membership.org_unit_id] if i.pk not in own)
    return [(user, indicators) for user, indicators in lists.values() if indicators]


def users_with_role(role: str):
    return list(get_user_model().objects.filter(groups__name=role, is_active=True).distinct().order_by("pk"))


def waiting_submissions(today: datetime.date, calendar: WorkingCalendar):
    """(quarter, submitted reports that have waited more than the allowed working days),
    per quarter."""
    days = settings.REMINDER_REVIEW_WAITING_DAYS
    # More than N working days have passed only if more than N calendar days have.
    latest = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time())
    )
    reports = (
        QuarterReport.objects.filter(status=QuarterReport.Status.SUBMITTED, submitted_at__lt=latest)
        .select_related("indicator__org_unit", "indicator__fiscal_year")
        .order_by("submitted_at", "pk")
    )
    waiting = defaultdict(list)
    for report in reports:
        if calendar.working_days_after(timezone.localdate(report.submitted_at), today) > days:
            waiting[(report.indicator.fiscal_year_id, report.quarter)].append(report)
    if not waiting:
        return []
    periods = {
        (period.fiscal_year_id, period.quarter): period
        for period in FiscalQuarter.objects.filter(
            fiscal_year_id__in={key[0] for key in waiting}
        ).select_related("fiscal_year")
    }
    # A report of a quarter without a FiscalQuarter row has no deadline either: the
    # administrators create the quarters; until then its submissions are not chased.
    return [(periods[key], reports) for key, reports in waiting.items() if key in periods]


def claim(user, section: Section, step: str) -> bool:
    """Insert the SentReminder row; False when it is there already (sent before, or by
    another worker now: on PostgreSQL this waits for that worker's transaction)."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(
                user=user, reason=section.reason, fiscal_quarter=section.period, step=step
            )
    except IntegrityError:
        return False
    return True


def sent_before(digests: list[Digest]) -> set[tuple]:
    """(user id, reason, quarter id, step) of the reminders already sent to the people of
    ``digests`` in the quarters they are about, in one query.

    Every pass plans again what is due, most of it sent by an earlier pass: an auditor is
    told of each waiting submission once, and at quarter end there are thousands. Trying
    to claim each again (a savepoint, an INSERT refused by the unique constraint, a
    rollback) cost some 15 s of CPU per pass on the bench data, every 5 minutes per
    worker; only the claims not found here are tried (the constraint still settles a
    race with another worker)."""
    users = {digest.user.pk for digest in digests}
    periods = {section.period.pk for digest in digests for section in digest.sections}
    return set(
        SentReminder.objects.filter(user_id__in=users, fiscal_quarter_id__in=periods).values_list(
            "user_id", "reason", "fiscal_quarter_id", "step"
        )
    )


def send_digest(
    digest: Digest,
    channels,
    language: str,
    calendar,
    today: datetime.date,
    sent: frozenset | set = frozenset(),
) -> int:
    """Claim the digest's reminders and write what is new: 1 when something was.
    ``sent``: reminders known to be sent already (``sent_before``), not claimed again."""
    user = digest.user

    def unsent(section):
        return [
            (step, item)
            for step, item in section.claims()
            if (user.pk, section.reason, section.period.pk, step) not in sent
        ]

    wanted = [(section, unsent(section)) for section in digest.sections]
    if not any(claims for _section, claims in wanted):
        return 0
    with transaction.atomic():
        sections = []
        for section, claims in wanted:
            claimed = [item for step, item in claims if claim(user, section, step)]
            kept = section.keep(claimed)
            if kept is not None:
                sections.append(kept)
        if not sections:
            return 0
        messages.write_digest(digest.user, sections, channels, language, calendar, today)
    return 1
