"""The session store (kpi_portal/sessions.py): Django's database sessions, read by a
SELECT written once: what it loads, and what it does not (expired, unknown keys)."""

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from kpi_portal.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored(data: dict) -> str:
    session = SessionStore()
    session.update(data)
    session.save()
    return session.session_key


def test_a_stored_session_loads_as_djangos_store_loads_it(django_assert_num_queries):
    key = stored({"_auth_user_id": "7", "ข้อความ": "สวัสดี"})
    with django_assert_num_queries(1):
        row = SessionStore(key)._get_session_from_db()
    orm = Session.objects.get(session_key=key)
    assert (row.session_key, row.session_data, row.expire_date) == (
        orm.session_key,
        orm.session_data,
        orm.expire_date,
    )
    assert row.expire_date.tzinfo is not None
    assert SessionStore(key).load() == DjangoStore(key).load() == {"_auth_user_id": "7", "ข้อความ": "สวัสดี"}


def test_sessions_stored_by_djangos_store_carry_on():
    before = DjangoStore()
    before["_auth_user_id"] = "3"
    before.save()
    assert SessionStore(before.session_key)["_auth_user_id"] == "3"


@pytest.mark.parametrize("key", ["no-such-key-0123456789abcdef0123", "x" * 40])
def test_an_unknown_key_loads_nothing_and_is_dropped(key):
    stored({"a": 1})
    session = SessionStore(key)
    assert session.load() == {}
    assert session.session_key is None


def test_an_expired_session_loads_nothing():
    key = stored({"_auth_user_id": "7"})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    session = SessionStore(key)
    assert session.load() == {}
    assert session.session_key is None


def test_clearsessions_removes_the_expired_sessions_only():
    kept, expired = stored({"a": 1}), stored({"b": 2})
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    call_command("clearsessions")
    assert list(Session.objects.values_list("session_key", flat=True)) == [kept]
