"""What notifications and mails say: written in the recipient's language (Thai unless
they chose English), with Buddhist-Era dates and absolute links straight to the pages.

A mail is not sent here: it is written to the outbox (``OutgoingMail``) in the caller's
transaction, and ``reports.notifications.mail`` sends it after the commit."""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from indicators import people, thai
from reports.models import Notification, NotificationKind, OutgoingMail, QuarterReport, SentReminder
from reports.notifications.preferences import Channels
from reports.notifications.unsubscribe import unsubscribe_url

ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def mail_date(day: datetime.date) -> str:
    """A Buddhist-Era date in the active language: "16 เมษายน 2569", "16 April B.E. 2569"."""
    if translation.get_language() == "th":
        return thai.format_date(day)
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} B.E. {thai.be_year(day.year)}"


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def quarter_name(year: int, quarter: int) -> str:
    return _("quarter %(quarter)s of fiscal year %(year)s") % {"quarter": quarter, "year": year}


def working_days(count: int) -> str:
    return ngettext("%(count)d working day", "%(count)d working days", count) % {"count": count}


@dataclass
class Line:
    text: str
    detail: str = ""
    url: str = ""


@dataclass
class Shown:
    """A section as the recipient reads it."""

    title: str
    intro: str = ""
    lines: list[Line] = field(default_factory=list)


def report_state(indicator) -> str:
    status = getattr(indicator, "report_status", None)
    if status is None:
        return _("no report yet")
    return QuarterReport.Status(status).label


def indicator_line(indicator, url_name: str, quarter: int) -> Line:
    args = [indicator.pk, quarter] if url_name == "quarter_report" else [indicator.pk]
    return Line(
        text=f"{indicator.full_code} {indicator.name}",
        detail=str(report_state(indicator)),
        url=absolute(reverse(url_name, args=args)),
    )


def show(section, calendar, today: datetime.date) -> Shown:
    """The title, introduction and lines of a reminder section (reminders.Section)."""
    period, step = section.period, section.step
    deadline = mail_date(period.effective_due_date)
    values = {
        "quarter": quarter_name(period.fiscal_year.year, period.quarter),
        "date": deadline,
        "days": working_days(abs(step.offset)),
    }
    reason = section.reason
    if reason == SentReminder.Reason.DEADLINE:
        if step.offset < 0:
            title = _("Reports of %(quarter)s are due in %(days)s, on %(date)s") % values
        elif step.offset == 0:
            title = _("Reports of %(quarter)s are due today, %(date)s") % values
        else:
            title = _("Reports of %(quarter)s are %(days)s late (deadline %(date)s)") % values
        intro = _("These indicators of your units are not yet submitted:")
        lines = [indicator_line(i, "quarter_report", period.quarter) for i in section.indicators]
        return Shown(title, intro, lines)
    if reason == SentReminder.Reason.HEAD_COPY:
        title = _("Copy for the head of unit: reports of %(quarter)s are %(days)s late") % values
        intro = (
            _("These indicators of the units you head are not yet submitted (deadline %(date)s):") % values
        )
        lines = [indicator_line(i, "indicator_detail", period.quarter) for i in section.indicators]
        return Shown(title, intro, lines)
    if reason == SentReminder.Reason.LATE_UNITS:
        title = _("Units with reports of %(quarter)s missing %(days)s after the deadline") % values
        intro = _("Deadline %(date)s. Indicators not yet submitted, per unit:") % values
        lines = []
        for unit, count in section.units:
            query = urlencode(
                {
                    "year": period.fiscal_year.year,
                    "unit": unit.code,
                    "quarter": period.quarter,
                    "progress": "not_reported",
                }
            )
            lines.append(
                Line(
                    text=f"{unit.code} {unit.name}",
                    detail=ngettext("%(count)d indicator", "%(count)d indicators", count) % {"count": count},
                    url=absolute(reverse("indicator_list") + "?" + query),
                )
            )
        return Shown(title, intro, lines)
    # Submissions waiting for review.
    count = len(section.reports)
    title = ngettext(
        "%(count)d submission of %(quarter)s has waited more than %(days)s for review",
        "%(count)d submissions of %(quarter)s have waited more than %(days)s for review",
        count,
    ) % {**values, "count": count}
    lines = []
    for report in section.reports:
        submitted = timezone.localdate(report.submitted_at)
        waited = calendar.working_days_after(submitted, today)
        lines.append(
            Line(
                text=f"{report.indicator.full_code} {report.indicator.name}",
                detail=_("submitted on %(date)s, waiting %(days)s")
                % {"date": mail_date(submitted), "days": working_days(waited)},
                url=absolute(reverse("quarter_review", args=[report.indicator_id, report.quarter])),
            )
        )
    return Shown(title, "", lines)


def digest_link(sections) -> str:
    """Where the notification in the portal leads: the one page it is about, else the
    page that lists such things."""
    first = sections[0]
    if len(sections) == 1:
        if first.reason == SentReminder.Reason.DEADLINE and len(first.indicators) == 1:
            return reverse("quarter_report", args=[first.indicators[0].pk, first.period.quarter])
        if first.reason == SentReminder.Reason.REVIEW_WAITING:
            return reverse("review_queue")
        if first.reason == SentReminder.Reason.LATE_UNITS:
            return reverse("dashboard")
    return reverse("home")


def write_digest(user, sections, channels, language: str, calendar, today: datetime.date) -> None:
    """One notification and one mail for a person's sections of a reminder pass, each
    with the sections of the kinds they want on that channel."""
    chosen = [(section, channels.get((user.pk, section.kind), Channels())) for section in sections]
    in_app = [section for section, wanted in chosen if wanted.in_app]
    by_mail = [section for section, wanted in chosen if wanted.email] if user.email else []
    with translation.override(language):
        if in_app:
            shown = [show(section, calendar, today) for section in in_app]
            Notification.objects.create(
                recipient=user,
                kind=in_app[0].kind,
                title=digest_title(shown),
                body=render_to_string("notifications/sections.txt", {"sections": shown}).strip(),
                link=digest_link(in_app),
            )
        if by_mail:
            shown = [show(section, calendar, today) for section in by_mail]
            queue_mail(
                user,
                [section.kind for section in by_mail],
                digest_title(shown),
                {"sections": shown, "link": absolute(digest_link(by_mail))},
            )


def digest_title(shown: list[Shown]) -> str:
    if len(shown) == 1:
        return shown[0].title
    more = len(shown) - 1
    return ngettext("%(title)s (and %(count)d more)", "%(title)s (and %(count)d more)", more) % {
        "title": shown[0].title,
        "count": more,
    }


def write_review(user, report: QuarterReport, by, channels: Channels, language: str) -> None:
    """Tell one member of the unit that ``report`` was returned (with the comment) or
    accepted."""
    with translation.override(language):
        indicator = report.indicator
        values = {
            "indicator": indicator.full_code,
            "quarter": quarter_name(indicator.fiscal_year.year, report.quarter),
        }
        if report.status == QuarterReport.Status.RETURNED:
            title = _("Returned for revision: %(indicator)s, %(quarter)s") % values
            intro = _("The report was returned for revision with this comment:")
        else:
            title = _("Accepted: %(indicator)s, %(quarter)s") % values
            intro = _("The auditors accepted the report.")
        path = reverse("quarter_report", args=[indicator.pk, report.quarter])
        shown = Shown(
            title,
            intro,
            [Line(text=f"{indicator.full_code} {indicator.name}", url=absolute(path))],
        )
        context = {
            "sections": [shown],
            "comment": report.return_comment if report.status == QuarterReport.Status.RETURNED else "",
            "reviewer": people.display_name(by),
            "link": absolute(path),
        }
        if channels.in_app:
            Notification.objects.create(
                recipient=user,
                kind=NotificationKind.REVIEWS,
                title=title,
                body=render_to_string("notifications/sections.txt", context).strip(),
                link=path,
            )
        if channels.email and user.email:
            queue_mail(user, [NotificationKind.REVIEWS], title, context)


def queue_mail(user, kinds, subject: str, context: dict) -> OutgoingMail:
    """Render the plain-text and HTML mail in the active language and put it in the
    outbox; every mail says why it came and carries a one-click unsubscribe link."""
    kinds = list(dict.fromkeys(kinds))
    unsubscribe = unsubscribe_url(user, kinds)
    context = {
        **context,
        "name": people.display_name(user),
        "subject": subject,
        "kinds": [str(NotificationKind(kind).label) for kind in kinds],
        "preferences_url": absolute(reverse("notification_preferences")),
        "unsubscribe_url": unsubscribe,
        "portal_url": settings.PORTAL_BASE_URL + "/",
        "language": translation.get_language(),
    }
    return OutgoingMail.objects.create(
        recipient=user,
        to=user.email,
        kind=kinds[0],
        subject=f"[{_('KPI Portal')}] {subject}",
        text_body=render_to_string("notifications/mail.txt", context),
        html_body=render_to_string("notifications/mail.html", context),
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "Auto-Submitted": "auto-generated",
        },
    )
