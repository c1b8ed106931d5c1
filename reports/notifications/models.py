"""Notification models (of the ``reports`` app: imported by ``reports.models``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import FiscalQuarter


class NotificationKind(models.TextChoices):
    """What a user turns on or off, per channel (in the portal, by mail)."""

    REMINDERS = "reminders", _("deadline reminders")
    REVIEWS = "reviews", _("reports returned or accepted")
    DIGESTS = "digests", _("digests for auditors and executives")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in the portal's notification list (the navigation counts the unread)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_list_idx"),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A user's channels for one kind of notification; without a row, both are on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the portal"), default=True)
    email = models.BooleanField(_("by email"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_and_kind"),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()}"


class SentReminder(models.Model):
    """A reminder handled for one person: the unique constraint makes each go out once,
    across restarts and workers running the pass at the same time (the row is inserted
    in the transaction that writes the notification and the mail)."""

    class Reason(models.TextChoices):
        DEADLINE = "deadline", _("reports due or late (unit staff)")
        HEAD_COPY = "head_copy", _("copy of late reports (head of unit)")
        REVIEW_WAITING = "review_waiting", _("submissions waiting for review (auditors)")
        LATE_UNITS = "late_units", _("units with late reports (executives)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    fiscal_quarter = models.ForeignKey(
        FiscalQuarter, on_delete=models.CASCADE, related_name="+", verbose_name=_("fiscal quarter")
    )
    step = models.CharField(
        _("step"), max_length=64, help_text=_("e.g. before-5, due, after-3, or the submission waited on")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "reason", "fiscal_quarter", "step"], name="reminder_sent_once"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.reason} {self.fiscal_quarter} {self.step}"


class OutgoingMail(models.Model):
    """A mail waiting to be sent, sent, or given up on after its attempts (shown to
    administrators with the error): written in the transaction of what it tells, sent
    afterwards by ``reports.notifications.mail``; never silently dropped."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed: gave up")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    to = models.EmailField(_("to"))
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(_("subject"), max_length=300)
    text_body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="outgoing_mail_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"
