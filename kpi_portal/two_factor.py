"""Two-factor sign-in (OWASP ASVS 5.0 V6.3.3) with django-otp: TOTP apps and recovery codes.

Who needs a second factor: auditors, administrators and anyone who may open the
admin site (``is_staff``, superusers) always; unit staff and executives once they
have set up an authenticator app on their security page.

django-otp's ``OTPMiddleware`` tells which device verified the session (it checks
the device still exists on every request, so a removed device ends the
verification at once). ``gate`` (run by kpi_portal.middleware.TwoFactorMiddleware)
sends a signed-in but unverified user who needs a second factor to the code page,
or to the enrolment page when they have no device yet; only signing out, the
sign-in and two-factor pages, the keep-alive and the language switch stay open.
"""

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from indicators import audit
from indicators.access import principal
from indicators.models import Role

REQUIRED_ROLES = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
# Pages a signed-in but unverified user may still open (view names).
OPEN_BEFORE_VERIFYING = frozenset(
    {
        "login",
        "logout",
        "set_language",
        "session_keepalive",
        "two_factor:verify",
        "two_factor:setup",
        "two_factor:recovery_codes",
    }
)
# Session keys: the user for whom no second factor is needed (no device, optional
# role; checked once per session), and recovery codes waiting to be shown once.
NOT_NEEDED_KEY = "_two_factor_not_needed"
NEW_CODES_KEY = "_two_factor_new_codes"
RECOVERY_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: 5 bits a character
APP_DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"


def required_for(user) -> bool:
    """Auditors, administrators and whoever may open the admin site need a second factor."""
    return user.is_staff or user.is_superuser or bool(principal(user).roles & REQUIRED_ROLES)


def app_device(user, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def has_app(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def code_needed(user) -> bool:
    return required_for(user) or has_app(user)


def gate(request):
    """None when the request may go on, else a redirect to the code or enrolment page."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if request.resolver_match and request.resolver_match.view_name in OPEN_BEFORE_VERIFYING:
        return None
    required = required_for(user)
    if not required and request.session.get(NOT_NEEDED_KEY) == user.pk:
        return None
    if has_app(user):
        return redirect_with_next("two_factor:verify", request.get_full_path())
    if required:
        return redirect_with_next("two_factor:setup", request.get_full_path())
    request.session[NOT_NEEDED_KEY] = user.pk
    return None


def redirect_with_next(url_name: str, next_url: str):
    return redirect(f"{reverse(url_name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")


@dataclass(frozen=True)
class CodeCheck:
    """The device that accepted a code, or None; when refused for too many wrong codes, until when."""

    device: TOTPDevice | StaticDevice | None
    wait_until: datetime | None = None

    @property
    def wait_seconds(self) -> int:
        if self.wait_until is None:
            return 0
        return max(1, int((self.wait_until - timezone.now()).total_seconds() + 0.999))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch not in " -\t").lower()[:32]


def check_code(user, code: str, device=None, request=None) -> CodeCheck:
    """Verify a code of the user's app (6 digits) or a recovery code (used up once accepted).

    Every wrong code doubles the wait before the next one is even looked at
    (django-otp's throttling, per device). ``device`` limits the check to one
    device (the one being set up). With ``request``, a refused code is written to
    the audit log (never the code itself).
    """
    check = _check_code(user, code, device)
    if request is not None and check.device is None and normalise_code(code):
        audit.record(
            audit.AuditEvent.Kind.TWO_FACTOR_FAILED,
            request=request,
            user=user,
            throttled=check.wait_until is not None,
        )
    return check


def _check_code(user, code: str, device=None) -> CodeCheck:
    code = normalise_code(code)
    if not code:
        return CodeCheck(None)
    if device is None:
        if code.isdigit():
            device = app_device(user)
        else:
            device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return CodeCheck(None)
    allowed, why = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(None, (why or {}).get("locked_until"))
    # verify_token locks the device's row, so two requests cannot both use one code.
    if device.confirmed:
        return CodeCheck(verify_token(user, device.persistent_id, code))
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return CodeCheck(device if device.verify_token(code) else None)


def complete_sign_in(request, device) -> None:
    """Mark the session as verified by ``device`` (a new session key: the privilege changed)."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(NOT_NEEDED_KEY, None)


def enrolment_device(user) -> TOTPDevice:
    """The unconfirmed app device being set up (the same secret until it is confirmed)."""
    device = app_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(user, device: TOTPDevice) -> list[str]:
    """Make ``device`` the user's only app and give them fresh recovery codes."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes (10 characters, 50 random bits each, usable once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(10))
        for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def remove_devices(user) -> int:
    """Remove the user's app and recovery codes (they enrol again at the next sign-in)."""
    apps = TOTPDevice.objects.filter(user=user)
    recovery = StaticDevice.objects.filter(user=user)
    count = apps.count() + recovery.count()
    apps.delete()
    recovery.delete()
    return count


def secret_text(device: TOTPDevice) -> str:
    """The secret as the apps want it typed (base32, in groups of four)."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data URI (drawn here: no outside service, no inline style)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
