"""Telling unit staff that an auditor returned (with the comment) or accepted a report.

Called by the review service in the transaction of the review itself, so a review
tells once, and a review rolled back tells nothing."""

from django.contrib.auth import get_user_model

from indicators.models import Role
from reports.models import NotificationKind, QuarterReport
from reports.notifications import messages
from reports.notifications.preferences import Channels, channels_of, languages_of


def unit_staff(org_unit_id: int):
    return list(
        get_user_model()
        .objects.filter(
            unit_memberships__org_unit_id=org_unit_id, groups__name=Role.UNIT_STAFF, is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def notify_reviewed(report: QuarterReport, by) -> int:
    """Notify the unit staff of ``report``'s unit of its new status (returned or
    accepted by ``by``, an auditor or, reopening, an administrator); returns how many
    people were told."""
    if report.status not in (QuarterReport.Status.RETURNED, QuarterReport.Status.ACCEPTED):
        return 0
    users = unit_staff(report.indicator.org_unit_id)
    user_ids = [user.pk for user in users]
    channels, languages = channels_of(user_ids), languages_of(user_ids)
    for user in users:
        wanted = channels.get((user.pk, NotificationKind.REVIEWS), Channels())
        messages.write_review(user, report, by, wanted, languages[user.pk])
    return len(users)
