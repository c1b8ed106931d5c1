"""Each user's choices: which kinds of notification reach them in the portal and by mail,
and in which language their mails are written."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from indicators.models import UserSettings
from reports.models import NotificationKind, NotificationPreference


@dataclass(frozen=True)
class Channels:
    in_app: bool = True
    email: bool = True


def channels_of(user_ids) -> dict[tuple[int, str], Channels]:
    """(user id, kind) → channels, for every kind the users chose something for (one
    query); a missing pair means both channels are on (``Channels()``)."""
    return {
        (user_id, kind): Channels(in_app, email)
        for user_id, kind, in_app, email in NotificationPreference.objects.filter(
            user_id__in=list(user_ids)
        ).values_list("user_id", "kind", "in_app", "email")
    }


def languages_of(user_ids) -> dict[int, str]:
    """User id → the language of their mails (Thai unless they chose another)."""
    chosen = dict(UserSettings.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language"))
    return {user_id: chosen.get(user_id, settings.LANGUAGE_CODE) for user_id in user_ids}


def preferences_table(user) -> list[tuple[str, str, Channels]]:
    """(kind, label, channels) for every kind, in the order of the kinds."""
    chosen = channels_of([user.pk])
    return [
        (kind, label, chosen.get((user.pk, kind), Channels())) for kind, label in NotificationKind.choices
    ]


@transaction.atomic
def set_channels(user, kind: str, *, in_app: bool, email: bool) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"in_app": in_app, "email": email}
    )


@transaction.atomic
def turn_off_email(user, kinds) -> None:
    """What an unsubscribe link does: no more mails of ``kinds``; the portal's list stays."""
    for kind in kinds:
        preference, _ = NotificationPreference.objects.get_or_create(user=user, kind=kind)
        if preference.email:
            preference.email = False
            preference.save(update_fields=["email", "updated_at"])
