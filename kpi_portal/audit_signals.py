"""Sign-ins, sign-outs, failed sign-ins and lockouts into the audit log, from Django's
documented authentication signals and django-axes' lockout signal."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from indicators.audit import AuditEvent, record


def signed_in(sender, request, user, **kwargs):
    record(AuditEvent.Kind.SIGNED_IN, request=request, user=user)


def signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditEvent.Kind.SIGNED_OUT, request=request, user=user)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in ``credentials``; only the username is kept.
    username = credentials.get("username") or ""
    record(AuditEvent.Kind.SIGN_IN_FAILED, request=request, username=str(username))


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    scope = "address" if getattr(request, "kpi_address_locked", False) else "username and address"
    event = record(AuditEvent.Kind.LOCKED_OUT, request=request, username=username or "", scope=scope)
    if ip_address and event.ip_address != ip_address:
        AuditEvent.objects.filter(pk=event.pk).update(ip_address=ip_address)


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="kpi_portal.audit.signed_in")
    user_logged_out.connect(signed_out, dispatch_uid="kpi_portal.audit.signed_out")
    user_login_failed.connect(sign_in_failed, dispatch_uid="kpi_portal.audit.sign_in_failed")
    user_locked_out.connect(locked_out, dispatch_uid="kpi_portal.audit.locked_out")
