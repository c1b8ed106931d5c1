"""Who may see and do what: decided on the server, where objects are fetched.

Roles are Django groups (see ``Role``); unit staff are tied to their units by
``UnitMembership``. Outsiders get 404 (they may not even know an object
exists); people who may see but not do get 403.

Each capability is named once, on ``Principal``; views check it and templates read
it from the context's ``who`` (indicators.context_processors). Who may read what is a
queryset (``visible_indicators``, ``visible_units``): views fetch objects through it.
"""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from indicators.models import Indicator, OrgUnit, Role, UnitMembership

READ_ALL_ROLES = {Role.AUDITOR, Role.EXECUTIVE, Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Principal:
    """The signed-in user's roles and units, read once per request."""

    roles: frozenset
    unit_ids: frozenset
    is_superuser: bool

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

    @property
    def reads_everything(self):
        """Every unit's indicators, the dashboard: auditors, executives, administrators."""
        return self.is_superuser or bool(self.roles & READ_ALL_ROLES)

    @property
    def may_review(self):
        """Score, accept and return submitted quarters: auditors only. Administrators
        administer (and reopen accepted quarters); they do not review."""
        return self.is_auditor

    @property
    def may_reopen(self):
        """Hand an accepted quarter back to its unit, saying why."""
        return self.is_administrator

    @property
    def may_see_history(self):
        """Who changed which target, result, narrative, score or status."""
        return self.is_auditor or self.is_administrator

    @property
    def may_order_books(self):
        """Order books (many sheets in one PDF) and read those of others."""
        return self.is_executive or self.is_administrator

    @property
    def may_administer(self):
        """The registry (imports, deadlines, locks) and everyone's books."""
        return self.is_administrator

    def reports_for(self, indicator: Indicator) -> bool:
        """Unit staff enter reports for their own units' indicators."""
        return self.is_unit_staff and indicator.org_unit_id in self.unit_ids


@functools.cache
def roles_and_units_sql() -> str:
    """The query of ``roles_and_units``, written once. Every request of a signed-in user
    runs it; the ORM compiled it again each time (a union of two annotated querysets),
    some 0.8 ms of CPU, more than the query itself takes in the database."""
    quote = connection.ops.quote_name
    groups = get_user_model()._meta.get_field("groups")
    link = groups.remote_field.through._meta.db_table
    units = UnitMembership._meta
    return (
        f"SELECT 'role', g.{quote('name')} FROM {quote(Group._meta.db_table)} g"
        f" INNER JOIN {quote(link)} l ON l.{quote(groups.m2m_reverse_name())} = g.{quote('id')}"
        f" WHERE l.{quote(groups.m2m_column_name())} = %s"
        " UNION ALL"
        f" SELECT 'unit', CAST(m.{quote(units.get_field('org_unit').column)} AS varchar)"
        f" FROM {quote(units.db_table)} m WHERE m.{quote(units.get_field('user').column)} = %s"
    )


def roles_and_units(user) -> tuple[frozenset, frozenset]:
    """The names of ``user``'s groups and the ids of their units, in one query (every
    request of a signed-in user asks for both: one round trip to the database, not two)."""
    roles, unit_ids = set(), set()
    with connection.cursor() as cursor:
        cursor.execute(roles_and_units_sql(), [user.pk, user.pk])
        for kind, item in cursor.fetchall():
            if kind == "role":
                roles.add(item)
            else:
                unit_ids.add(int(item))
    return frozenset(roles), frozenset(unit_ids)


def principal(user) -> Principal:
    """Roles and units of ``user`` (one query, cached on the user object)."""
    cached = getattr(user, "_portal_principal", None)
    if cached is not None:
        return cached
    if not user.is_authenticated:
        result = Principal(frozenset(), frozenset(), False)
    else:
        roles, unit_ids = roles_and_units(user)
        result = Principal(roles=roles, unit_ids=unit_ids, is_superuser=user.is_superuser)
    user._portal_principal = result
    return result


def visible_to(user, queryset: QuerySet, unit_field: str) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may read, its unit found at ``unit_field``:
    everything for auditors, executives and administrators; their own units' for unit
    staff; nothing otherwise."""
    who = principal(user)
    if who.reads_everything:
        return queryset
    if who.unit_ids:
        return queryset.filter(**{f"{unit_field}__in": who.unit_ids})
    return queryset.none()


def visible_indicators(user, queryset: QuerySet | None = None) -> QuerySet:
    """The indicators ``user`` may read."""
    return visible_to(user, Indicator.objects.all() if queryset is None else queryset, "org_unit_id")


def visible_units(user, queryset: QuerySet | None = None) -> QuerySet:
    """The units whose pages ``user`` may read."""
    return visible_to(user, OrgUnit.objects.all() if queryset is None else queryset, "pk")


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
