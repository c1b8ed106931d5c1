"""Sending the outbox (``OutgoingMail``) through Django's mail framework, with retries.

A mail is claimed by moving its next attempt past the time a send can take (a compare-
and-set UPDATE, so two workers never send the same mail, and no transaction stays open
while the mail server answers), then sent. A failure is tried again after
``MAIL_RETRY_MINUTES`` (1, 5, 15, 60, 240 minutes); after the last one the mail is
marked failed and stays in the admin's list of outgoing mails with its error, where an
administrator can send it again. A worker killed while sending leaves the mail to be
tried again when its claim runs out (that one mail may then arrive twice; a mail lost
is worse).
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from reports.models import OutgoingMail

logger = logging.getLogger(__name__)

CLAIM = datetime.timedelta(minutes=10)
BATCH = 50


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> datetime.timedelta | None:
    """The wait after the ``attempts``-th failure, or None when it was the last."""
    minutes = settings.MAIL_RETRY_MINUTES
    return datetime.timedelta(minutes=minutes[attempts - 1]) if attempts <= len(minutes) else None


def deliver_due(now: datetime.datetime | None = None, limit: int = BATCH) -> DeliveryResult:
    """Send up to ``limit`` mails whose time has come; returns what happened."""
    now = now or timezone.now()
    due = list(
        OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    result = DeliveryResult()
    if not due:
        return result
    connection = get_connection()
    for pk, next_attempt_at in due:
        claimed = OutgoingMail.objects.filter(
            pk=pk, status=OutgoingMail.Status.PENDING, next_attempt_at=next_attempt_at
        ).update(next_attempt_at=now + CLAIM, attempts=F("attempts") + 1)
        if not claimed:
            continue  # another worker has it
        mail = OutgoingMail.objects.get(pk=pk)
        try:
            message(mail, connection).send()
        except Exception as error:  # any failure of the mail server or the network
            record_failure(mail, error, now)
            result.failed += 1
        else:
            mail.status = OutgoingMail.Status.SENT
            mail.sent_at = timezone.now()
            mail.last_error = ""
            mail.save(update_fields=["status", "sent_at", "last_error"])
            result.sent += 1
    return result


def message(mail: OutgoingMail, connection) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers=mail.headers,
        connection=connection,
    )
    email.attach_alternative(mail.html_body, "text/html")
    return email


def record_failure(mail: OutgoingMail, error: Exception, now: datetime.datetime) -> None:
    delay = retry_delay(mail.attempts)
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    if delay is None:
        mail.status = OutgoingMail.Status.FAILED
        logger.error("Mail %s to %s failed for good: %s", mail.pk, mail.to, mail.last_error)
    else:
        mail.next_attempt_at = now + delay
        logger.warning("Mail %s to %s failed, next try in %s: %s", mail.pk, mail.to, delay, mail.last_error)
    mail.save(update_fields=["status", "next_attempt_at", "last_error"])


def send_again(mails) -> int:
    """An administrator's "send again": failed or waiting mails are tried at once."""
    return mails.exclude(status=OutgoingMail.Status.SENT).update(
        status=OutgoingMail.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
