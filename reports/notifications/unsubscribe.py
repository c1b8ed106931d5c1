"""Unsubscribe links: signed (``django.core.signing``, with a salt of their own) for one
user and the kinds of notification a mail carried; they work without signing in.

Opening the link shows a confirmation page (a GET changes nothing: mail scanners open
links); its button turns those mails off, with a POST that is CSRF-protected like every
other in the portal. Mails name the link in ``List-Unsubscribe`` too, which mail programs
open the same way. (RFC 8058's one-click POST is left out: it needs a URL that accepts
posts without a CSRF token, and the portal is no bulk sender that providers require it
of.) The link never expires: an old mail must still let its reader stop the next ones.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from reports.models import NotificationKind

SALT = "reports.notifications.unsubscribe"


class BadLink(Exception):
    """The link was changed, cut, or names a user who is gone."""


def make_token(user, kinds) -> str:
    return signing.dumps([user.pk, sorted(set(kinds))], salt=SALT)


def read_token(token: str):
    """(user, kinds) that ``token`` was made for; raises BadLink."""
    try:
        user_id, kinds = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadLink from None
    valid = set(NotificationKind.values)
    if not isinstance(user_id, int) or not isinstance(kinds, list) or not kinds or not set(kinds) <= valid:
        raise BadLink
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise BadLink
    return user, kinds


def unsubscribe_url(user, kinds) -> str:
    return settings.PORTAL_BASE_URL + reverse("notification_unsubscribe", args=[make_token(user, kinds)])
