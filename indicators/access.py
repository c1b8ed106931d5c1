"""Who may see and do what: decided on the server, where objects are fetched.

Roles are Django groups (see ``Role``); unit staff are tied to their units by
``UnitMembership``. Outsiders get 404 (they may not even know an object
exists); people who may see but not do get 403.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from indicators.models import Indicator, Role

READ_ALL_ROLES = {Role.AUDITOR, Role.EXECUTIVE, Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Principal:
    """The signed-in user's roles and units, read once per request."""

    roles: frozenset
    unit_ids: frozenset
    is_superuser: bool

    @property
    def reads_everything(self):
        return self.is_superuser or bool(self.roles & READ_ALL_ROLES)

    @property
    def is_unit_staff(self):
        return Role.UNIT_STAFF in self.roles

    @property
    def is_auditor(self):
        return Role.AUDITOR in self.roles

    @property
    def is_executive(self):
        return Role.EXECUTIVE in self.roles

    @property
    def is_administrator(self):
        return self.is_superuser or Role.ADMINISTRATOR in self.roles

    def reports_for(self, indicator: Indicator) -> bool:
        """Unit staff enter reports for their own units' indicators."""
        return self.is_unit_staff and indicator.org_unit_id in self.unit_ids

    def can_see(self, indicator: Indicator) -> bool:
        return self.reads_everything or indicator.org_unit_id in self.unit_ids


def principal(user) -> Principal:
    """Roles and units of ``user`` (two queries, cached on the user object)."""
    cached = getattr(user, "_portal_principal", None)
    if cached is not None:
        return cached
    if not user.is_authenticated:
        result = Principal(frozenset(), frozenset(), False)
    else:
        result = Principal(
            roles=frozenset(user.groups.values_list("name", flat=True)),
            unit_ids=frozenset(user.unit_memberships.values_list("org_unit_id", flat=True)),
            is_superuser=user.is_superuser,
        )
    user._portal_principal = result
    return result


def visible_indicators(user, queryset: QuerySet | None = None) -> QuerySet:
    """The indicators ``user`` may read: everything for auditors, executives and
    administrators; their own units' for unit staff; nothing otherwise."""
    queryset = Indicator.objects.all() if queryset is None else queryset
    who = principal(user)
    if who.reads_everything:
        return queryset
    if who.unit_ids:
        return queryset.filter(org_unit_id__in=who.unit_ids)
    return queryset.none()


def get_indicator_for_user(user, pk: int, queryset: QuerySet | None = None) -> Indicator:
    """The indicator if ``user`` may read it, else 404."""
    try:
        return visible_indicators(user, queryset).get(pk=pk)
    except Indicator.DoesNotExist:
        raise Http404 from None


def require(condition: bool) -> None:
    """403 unless ``condition``: for users who may see an object but not act on it."""
    if not condition:
        raise PermissionDenied
