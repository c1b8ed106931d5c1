"""Sign-in limits: per username and address (django-axes), and per address against spraying.

django-axes locks a username at one address after ``AXES_FAILURE_LIMIT`` failures
(5). A password sprayer tries a few passwords against *every* account and never
reaches that. Axes can count per address too, but with the same limit (5), which
would lock a whole city hall (one public address) out after five typos, and its
reset on success would then wipe the address's count with any good sign-in.

So the address gets a limit of its own, ``SIGN_IN_ADDRESS_FAILURE_LIMIT`` (100)
failures of all usernames within the cool-off window: far above what an office's
typos make (30 people mistyping twice is 60), far below what spraying needs. It
is counted from axes' own records (no table of ours), and a success resets only
that user's record at that address, never the address's count.

When the address limit is reached, sign-ins from that address are refused, even
with the right password (a sprayer must not learn which guess was right), *except*
from a browser that signed in successfully as that user before: the sign-in page
gives such a browser a signed "known browser" cookie naming the user (OWASP's
device cookies). Colleagues at their usual desks keep working during an attack;
a sprayer, who has no such cookie for the accounts sprayed, is stopped.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.core import signing
from django.db.models import Sum

KNOWN_BROWSER_COOKIE = "kpi_known_browser"
KNOWN_BROWSER_SALT = "kpi_portal.sign_in_limits.known_browser"
# A shared office PC remembers this many people (the most recent ones).
KNOWN_BROWSER_USERS = 10


def failures_from_address(request) -> int:
    """Failed sign-ins of every username from the request's address within the window."""
    total = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def known_browser_users(request) -> list[str]:
    """The usernames that signed in successfully in this browser (a signed cookie)."""
    value = request.COOKIES.get(KNOWN_BROWSER_COOKIE)
    if not value:
        return []
    try:
        users = signing.loads(
            value, salt=KNOWN_BROWSER_SALT, max_age=settings.SIGN_IN_KNOWN_BROWSER_DAYS * 86400
        )
    except signing.BadSignature:
        return []
    return [name for name in users if isinstance(name, str)] if isinstance(users, list) else []


def remember_browser(request, response, username: str) -> None:
    """Mark this browser as one where ``username`` signed in (after a good password)."""
    users = [name for name in known_browser_users(request) if name != username]
    users = [username, *users][:KNOWN_BROWSER_USERS]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        signing.dumps(users, salt=KNOWN_BROWSER_SALT, compress=True),
        max_age=settings.SIGN_IN_KNOWN_BROWSER_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def address_locked(request, credentials) -> bool:
    """True when the address reached its limit and this browser never signed in as the user."""
    if failures_from_address(request) < settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
        return False
    username = get_client_username(request, credentials)
    return not (username and username in known_browser_users(request))


class PortalAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler plus the per-address limit (``AXES_HANDLER``)."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        if address_locked(request, credentials):
            request.kpi_address_locked = True
            return True
        return False

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # Axes flags a lockout only from its per-username count; flag the address's too,
        # so that the sign-in page explains it instead of "wrong password".
        if request is not None and not request.axes_locked_out and address_locked(request, credentials):
            request.kpi_address_locked = True
            request.axes_locked_out = True
            request.axes_credentials = credentials
            # Announced like axes' own lockouts (the audit log listens).
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
