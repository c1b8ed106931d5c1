"""Who changed access and deadlines: every change made in the admin leaves a history row
with the acting user, the old and the new values."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from indicators.models import (
    CityDataSet,
    FiscalQuarter,
    FiscalYear,
    OrgUnit,
    Role,
    StrategyNode,
    SupportingProject,
    UnitMembership,
)
from tests.admin_forms import form_data
from tests.factories import make_fiscal_year, make_indicator, make_strategy_path, make_unit, make_user

pytestmark = pytest.mark.django_db


def admin_client(username):
    user = make_user(username, Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def root():
    return admin_client("root")


def change_in_admin(client, obj, changes):
    """Post ``obj``'s admin change form as shown, with ``changes``; returns the response."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    response = client.post(url, form_data(client.get(url), f"{opts.model_name}_form") | changes)
    assert response.status_code == 302, response.context and response.context["errors"]
    return response


def last_two(obj):
    """The newest history row of ``obj`` and the one before it."""
    latest, previous = obj.history.order_by("-history_id")[:2]
    return latest, previous


# --- deadlines and locks ------------------------------------------------------------------------


@pytest.fixture
def quarter():
    year = make_fiscal_year(2568)
    return FiscalQuarter.objects.create(
        fiscal_year=year, quarter=1, due_date=datetime.date(2568 - 543, 1, 15)
    )


def test_a_new_due_date_keeps_the_old_one_and_who_changed_it(root, quarter):
    client, admin = root
    change_in_admin(client, quarter, {"due_date": "2025-01-31"})
    latest, previous = last_two(quarter)
    assert (latest.history_type, latest.history_user, latest.due_date) == (
        "~",
        admin,
        datetime.date(2025, 1, 31),
    )
    assert previous.due_date == datetime.date(2025, 1, 15)


def test_a_due_date_changed_on_the_fiscal_year_page_is_recorded(root, quarter):
    client, admin = root
    change_in_admin(
        client, quarter.fiscal_year, {"quarters-0-due_date": "2025-02-14", "criterion_1_label": "ก"}
    )
    latest, previous = last_two(quarter)
    assert (latest.history_user, latest.due_date, previous.due_date) == (
        admin,
        datetime.date(2025, 2, 14),
        datetime.date(2025, 1, 15),
    )
    latest, previous = last_two(quarter.fiscal_year)
    assert (latest.history_user, latest.criterion_1_label, previous.criterion_1_label) == (admin, "ก", "2.1")


def test_lock_then_unlock_keeps_who_locked_and_who_unlocked(quarter):
    changelist = reverse("admin:indicators_fiscalquarter_changelist")
    locker_client, locker = admin_client("locker")
    unlocker_client, unlocker = admin_client("unlocker")
    locker_client.post(changelist, {"action": "lock_quarters", "_selected_action": [quarter.pk]})
    quarter.refresh_from_db()
    assert quarter.locked_by == locker and quarter.locked_at is not None
    locked_at = quarter.locked_at
    unlocker_client.post(changelist, {"action": "unlock_quarters", "_selected_action": [quarter.pk]})
    quarter.refresh_from_db()
    assert (quarter.locked_by, quarter.locked_at) == (None, None)
    rows = list(quarter.history.order_by("history_id").values_list("history_user", "locked_by", "locked_at"))
    assert rows == [
        (None, None, None),  # created outside a request
        (locker.pk, locker.pk, locked_at),
        (unlocker.pk, None, None),
    ]


def test_locking_a_locked_quarter_keeps_who_locked_it_first(quarter):
    first, second = make_user("first", Role.ADMINISTRATOR), make_user("second", Role.ADMINISTRATOR)
    assert quarter.lock(first) is True
    locked_at = FiscalQuarter.objects.get(pk=quarter.pk).locked_at
    assert quarter.lock(second) is False
    stored = FiscalQuarter.objects.get(pk=quarter.pk)
    assert (stored.locked_by, stored.locked_at) == (first, locked_at)
    assert quarter.history.count() == 2  # created, locked: the second lock wrote nothing
    assert quarter.unlock(second) is True
    assert quarter.unlock(first) is False
    assert quarter.history.latest().history_user == second


def test_the_history_page_cannot_relock_a_quarter(root, quarter):
    client, admin = root
    quarter.lock(admin)
    quarter.unlock(admin)
    locked_version = quarter.history.get(locked_by=admin)
    url = reverse(
        "admin:indicators_fiscalquarter_simple_history", args=[quarter.pk, locked_version.history_id]
    )
    response = client.get(url)
    assert response.status_code == 200
    assert client.post(url, form_data(response, "historicalfiscalquarter_form")).status_code == 403
    quarter.refresh_from_db()
    assert (quarter.locked_at, quarter.locked_by) == (None, None)
    history = reverse("admin:indicators_fiscalquarter_history", args=[quarter.pk])
    assert client.get(history).status_code == 200


# --- units, strategy, projects, data sets -------------------------------------------------------


def test_org_unit_changes_are_recorded(root):
    client, admin = root
    unit = make_unit(code="5016", name="สำนักงานเขตเดิม")
    change_in_admin(client, unit, {"name": "สำนักงานเขตใหม่"})
    latest, previous = last_two(unit)
    assert (latest.history_user, latest.name, previous.name) == (admin, "สำนักงานเขตใหม่", "สำนักงานเขตเดิม")
    assert OrgUnit.history.filter(code="5016").count() == 2


def test_strategy_node_changes_are_recorded(root):
    client, admin = root
    node = make_strategy_path(("7", "7.3"))
    change_in_admin(client, node, {"title": "เป้าหมายที่แก้แล้ว"})
    latest, previous = last_two(node)
    assert (latest.history_user, latest.title, previous.title) == (admin, "เป้าหมายที่แก้แล้ว", "ยุทธศาสตร์ 7.3")
    assert StrategyNode.history.filter(code="7").count() == 1


def test_supporting_project_changes_are_recorded_on_both_pages(root):
    client, admin = root
    indicator = make_indicator()
    project = SupportingProject.objects.create(indicator=indicator, name="โครงการเดิม", budget=Decimal(1000))
    change_in_admin(client, project, {"budget": "2500.50"})
    latest, previous = last_two(project)
    assert (latest.history_user, latest.budget, previous.budget) == (admin, Decimal("2500.50"), Decimal(1000))
    change_in_admin(client, indicator, {"projects-0-name": "โครงการใหม่"})
    latest, previous = last_two(project)
    assert (latest.history_user, latest.name, previous.name) == (admin, "โครงการใหม่", "โครงการเดิม")


def test_city_data_set_and_fiscal_year_changes_are_recorded(root):
    client, admin = root
    data_set = CityDataSet.objects.create(code="D1", name="ข้อมูลเดิม")
    change_in_admin(client, data_set, {"name": "ข้อมูลใหม่"})
    assert [r.name for r in CityDataSet.history.order_by("history_id")] == ["ข้อมูลเดิม", "ข้อมูลใหม่"]
    year = FiscalYear.objects.create(year=2569)
    change_in_admin(client, year, {"is_current": "on"})
    latest, previous = last_two(year)
    assert (latest.history_user, latest.is_current, previous.is_current) == (admin, True, False)


# --- who may do what: unit memberships and roles ------------------------------------------------


def test_memberships_given_and_taken_on_the_user_page_are_recorded(root):
    client, admin = root
    unit = make_unit(code="5001")
    staff = make_user("somchai", Role.UNIT_STAFF)
    change_in_admin(
        client,
        staff,
        {"unit_memberships-TOTAL_FORMS": "1", "unit_memberships-0-org_unit": str(unit.pk)},
    )
    membership = UnitMembership.objects.get(user=staff)
    given = UnitMembership.history.get(history_type="+")
    assert (given.history_user, given.user_id, given.org_unit_id) == (admin, staff.pk, unit.pk)

    change_in_admin(
        client,
        staff,
        {"unit_memberships-0-id": str(membership.pk), "unit_memberships-0-DELETE": "on"},
    )
    assert not UnitMembership.objects.filter(user=staff).exists()
    taken = UnitMembership.history.get(history_type="-")
    assert (taken.history_user, taken.user_id, taken.org_unit_id) == (admin, staff.pk, unit.pk)

    # The admin lists the changes: who gave or took which unit from whom.
    page = client.get(reverse("admin:indicators_historicalunitmembership_changelist"))
    assert page.status_code == 200
    assert page.text.count("somchai") >= 2 and "5001" in page.text
    assert client.get(reverse("admin:indicators_historicalunitmembership_add")).status_code == 403


def test_a_new_role_is_recorded_with_who_gave_it(root):
    client, admin = root
    auditors = Group.objects.create(name=Role.AUDITOR)
    user = make_user("malee", Role.UNIT_STAFF)
    staff_group = Group.objects.get(name=Role.UNIT_STAFF)
    before = user.history.count()
    change_in_admin(client, user, {"groups": [str(auditors.pk)], "is_staff": "on"})
    rows = list(user.history.order_by("history_id")[before:])
    assert rows and all(row.history_user == admin for row in rows)
    assert {g.group_id for g in rows[-1].groups.all()} == {auditors.pk}
    assert rows[-1].is_staff is True
    previous = user.history.order_by("history_id")[before - 1]
    assert {g.group_id for g in previous.groups.all()} == {staff_group.pk}
    assert previous.is_staff is False
    # The user's history page in the admin shows it.
    assert client.get(reverse("admin:auth_user_history", args=[user.pk])).status_code == 200


def test_roles_given_from_the_group_side_are_recorded_per_user():
    auditors = Group.objects.create(name=Role.AUDITOR)
    first, second = make_user("first", Role.UNIT_STAFF), make_user("second", Role.UNIT_STAFF)
    auditors.user_set.add(first, second)
    for user in (first, second):
        assert {g.group.name for g in user.history.latest().groups.all()} == {Role.UNIT_STAFF, Role.AUDITOR}
    auditors.user_set.clear()
    for user in (first, second):
        assert {g.group.name for g in user.history.latest().groups.all()} == {Role.UNIT_STAFF}
    assert auditors.history.count() == 1  # the group itself did not change


def test_group_permission_changes_are_recorded(root):
    client, admin = root
    group = Group.objects.create(name=Role.EXECUTIVE)
    change_in_admin(client, group, {"name": Role.EXECUTIVE, "permissions": ["1"]})
    latest = group.history.latest()
    assert latest.history_user == admin
    assert [p.permission_id for p in latest.permissions.all()] == [1]


def test_a_sign_in_is_not_a_change_and_no_password_is_kept(client):
    user = make_user("somsri", Role.UNIT_STAFF, password="a-long-secret-1")
    before = user.history.count()
    response = client.post(reverse("login"), {"username": "somsri", "password": "a-long-secret-1"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None  # the sign-in saved the user
    assert user.history.count() == before
    user.set_password("another-secret-2")
    user.save()
    assert user.history.count() == before + 1
    fields = {field.name for field in User.history.model._meta.fields}
    assert "password" not in fields and "last_login" not in fields


def test_a_locked_quarter_is_unlocked_before_it_is_deleted(root, quarter):
    client, admin = root
    quarter.lock(admin)
    url = reverse("admin:indicators_fiscalquarter_delete", args=[quarter.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:indicators_fiscalquarter_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [quarter.pk], "post": "yes"})
    year_url = reverse("admin:indicators_fiscalyear_delete", args=[quarter.fiscal_year_id])
    assert client.post(year_url, {"post": "yes"}).status_code == 403
    assert FiscalQuarter.objects.get(pk=quarter.pk).locked_by == admin
    quarter.unlock(admin)
    assert client.post(url, {"post": "yes"}).status_code == 302
    deleted = FiscalQuarter.history.get(history_type="-")
    assert (deleted.history_user, deleted.due_date) == (admin, datetime.date(2025, 1, 15))


# --- the history starts with what is there ------------------------------------------------------


def test_the_migration_starts_each_history_with_the_rows_as_they_are(quarter):
    from importlib import import_module

    from django.apps import apps

    fill = import_module("indicators.migrations.0003_fill_access_history").fill_access_history
    unit = make_unit(code="5016")
    staff = make_user("somchai", Role.UNIT_STAFF, units=[unit])
    locker = make_user("locker", Role.ADMINISTRATOR)
    FiscalQuarter.objects.filter(pk=quarter.pk).update(locked_by=locker)
    # Rows that existed before the history did: none of them has a history row.
    for model in (FiscalYear, FiscalQuarter, OrgUnit, UnitMembership, User, Group):
        model.history.all().delete()
    apps.get_model("indicators", "HistoricalUser_groups").objects.all().delete()

    fill(apps, None)

    first = quarter.history.get()
    assert (first.history_type, first.history_user, first.locked_by_id) == ("+", None, locker.pk)
    assert first.due_date == datetime.date(2025, 1, 15)
    assert UnitMembership.history.get().org_unit_id == unit.pk
    assert [r.code for r in OrgUnit.history.all()] == ["5016"]
    assert {g.group.name for g in staff.history.get().groups.all()} == {Role.UNIT_STAFF}
    assert {g.group.name for g in locker.history.get().groups.all()} == {Role.ADMINISTRATOR}
    assert Group.history.count() == Group.objects.count() == 2
