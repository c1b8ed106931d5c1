"""Codes of a TOTP authenticator app, computed the way the app does (RFC 6238 via django_otp.oath)."""

import base64
import re
import time

from django_otp.oath import TOTP, hotp


def code_for_key(key: bytes, step: int) -> str:
    """The 6-digit code of the 30-second time step ``step`` (time // 30) for ``key``."""
    return f"{hotp(key, step, 6):06d}"


def current_step() -> int:
    return int(time.time()) // 30


def next_code(device) -> str:
    """A code the device accepts now: this step's, or the next one's if this step's was used.

    The device refuses a code of a step it already accepted (no replay); its tolerance
    of one step lets the next step's code through.
    """
    device.refresh_from_db()
    step = max(current_step(), device.last_t + 1)
    return code_for_key(device.bin_key, step)


def secret_on_page(html: str) -> bytes:
    """The key as the enrolment page shows it for typing into an app (base32 in groups)."""
    text = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', html).group(1)
    return base64.b32decode(text.replace(" ", ""))


def code_from_secret(secret: bytes) -> str:
    totp = TOTP(secret)
    return f"{totp.token():06d}"
