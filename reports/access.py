"""What of the reports app a user may read: evidence files through their indicator's
unit (indicators.access), books through who ordered them."""

from django.db.models import QuerySet

from indicators.access import principal, visible_to
from reports.models import Book, EvidenceFile


def visible_evidence(user) -> QuerySet:
    """Evidence files of the indicators ``user`` may read."""
    return visible_to(user, EvidenceFile.objects.all(), "report__indicator__org_unit_id")


def visible_books(user) -> QuerySet:
    """Every book for those who order books; one's own books for anyone else."""
    if principal(user).may_order_books:
        return Book.objects.all()
    return Book.objects.filter(ordered_by=user.pk)


def listed_books(user) -> QuerySet:
    """The books page: everyone's for administrators, else one's own."""
    if principal(user).may_administer:
        return visible_books(user)
    return visible_books(user).filter(ordered_by=user.pk)
