"""The audit log: who signed in (or failed to), who was locked out or refused, who
imported, locked, unlocked or reopened what, and when.

Written by the code that does each thing (``record``), read by administrators in the
admin (read-only). It lives on the ground floor so that every app can write it. No
password, code or typed secret ever goes in; a failed sign-in keeps only the username
typed. Entries older than ``AUDIT_LOG_RETENTION_DAYS`` are deleted by
``manage.py prune_audit_log`` (scheduled daily).
"""

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
        SIGNED_OUT = "signed_out", _("signed out")
        LOCKED_OUT = "locked_out", _("locked out")
        TWO_FACTOR_FAILED = "two_factor_failed", _("two-step code refused")
        REFUSED = "refused", _("permission refused")
        IMPORTED = "imported", _("indicators imported")
        QUARTER_LOCKED = "quarter_locked", _("quarter locked")
        QUARTER_UNLOCKED = "quarter_unlocked", _("quarter unlocked")
        REPORT_REOPENED = "report_reopened", _("quarter reopened")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as text: the account may be deleted later, or never have existed (a failed sign-in).
    username = models.CharField(_("username"), max_length=150, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=128, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        # Local time in the reader's format (in Thai, a BE year: kpi_portal.buddhist_era).
        at = formats.date_format(timezone.localtime(self.at), "DATETIME_FORMAT")
        return f"{at} {self.get_kind_display()} {self.username}"


def record(kind: str, *, request=None, user=None, username: str = "", **detail) -> AuditEvent:
    """Write one entry. ``user`` defaults to the request's signed-in user; ``detail``
    holds what the event is about (JSON: no passwords, codes or file contents)."""
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if user is not None and not username:
        username = user.get_username()
    # PostgreSQL refuses NUL in text: whatever a client managed to send, the entry is written.
    username = str(username).replace("\x00", "")
    event = AuditEvent(kind=kind, user=user, username=username[:150], detail=detail)
    if request is not None:
        # Set by kpi_portal.request_id.RequestIdMiddleware (which knows the trusted proxies).
        event.ip_address = getattr(request, "client_address", None) or request.META.get("REMOTE_ADDR") or None
        event.request_id = getattr(request, "request_id", "")[:128]
        event.path = request.path.replace("\x00", "")[:300]
    event.save()
    return event
