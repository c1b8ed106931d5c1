import pytest
from django.core.cache import cache, caches
from django.test.client import ClientMixin

from indicators.models import Role, standard_units_of_measure
from tests.factories import as_user, make_unit, make_user

# Two-factor sign-in and ``force_login``
# ---------------------------------------
# Auditors, administrators and admin-site users must give a second factor before
# any page opens (kpi_portal.two_factor). Tests that only need "a signed-in
# auditor" call ``client.force_login(user)``; the autouse fixture below makes that
# also complete the second factor the way a real sign-in does: such a user gets a
# confirmed authenticator-app device (created once) and the session is marked as
# verified by it (django-otp's session key), so every request goes through the
# real OTPMiddleware check. Anyone else's session is marked as needing no second
# factor (what the first page after a real sign-in records), unless they have an
# app, which then verifies it too. Tests of the two-factor flow itself sign in
# through the real pages with a plain ``Client().post(...)`` instead
# (tests/kpi_portal/test_two_factor.py).
_plain_force_login = ClientMixin.force_login


def _force_login_with_second_factor(self, user, backend=None):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kpi_portal.two_factor import NOT_NEEDED_KEY

    _plain_force_login(self, user, backend)
    session = self.session
    needs_it = (
        user.is_staff
        or user.is_superuser
        or user.groups.filter(name__in=[Role.AUDITOR, Role.ADMINISTRATOR]).exists()
    )
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and needs_it:
        device = TOTPDevice.objects.create(user=user, name="test app", confirmed=True)
    if device is None:
        session[NOT_NEEDED_KEY] = user.pk
    else:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def force_login_completes_the_second_factor(monkeypatch):
    monkeypatch.setattr(ClientMixin, "force_login", _force_login_with_second_factor)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches: the database is rolled back between tests, so
    a cached dashboard's version number (reports.FiguresVersion) could come round again
    (and a test sees a detail page's sheet rendered, not another test's)."""
    cache.clear()
    caches["sheets"].clear()


@pytest.fixture(autouse=True)
def rows_the_migrations_add(request):
    """A transactional test (``transaction=True``, ``live_server``) ends by emptying every
    table, the rows data migrations add included: a test using the database starts with
    the units of measure there, as after ``migrate``, in whatever order the tests run."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = marker is not None and marker.kwargs.get("transaction")
    if transactional or {"transactional_db", "live_server"} & names:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in names:
        request.getfixturevalue("db")
    else:
        return
    standard_units_of_measure()


# Shared people: staff of a unit and of another unit, an auditor, an executive and an
# administrator, and clients signed in as them. Test files with a world of their own
# (names, passwords, several units) build it themselves with tests/factories.py.


@pytest.fixture
def unit(db):
    return make_unit("5016", "สำนักงานเขตธนบุรี")


@pytest.fixture
def other_unit(db):
    return make_unit("5001", "สำนักงานเขตพระนคร")


@pytest.fixture
def staff(unit):
    return make_user("staff", role=Role.UNIT_STAFF, units=[unit], first_name="สมชาย")


@pytest.fixture
def other_staff(other_unit):
    return make_user("other_staff", role=Role.UNIT_STAFF, units=[other_unit])


@pytest.fixture
def auditor(db):
    return make_user("auditor", role=Role.AUDITOR, first_name="ผู้ตรวจ")


@pytest.fixture
def executive(db):
    return make_user("exec", role=Role.EXECUTIVE)


@pytest.fixture
def administrator(db):
    return make_user("administrator", role=Role.ADMINISTRATOR)


@pytest.fixture
def staff_client(staff):
    return as_user(staff)


@pytest.fixture
def auditor_client(auditor):
    return as_user(auditor)


@pytest.fixture
def executive_client(client, executive):
    client.force_login(executive)
    return client


@pytest.fixture
def administrator_client(administrator):
    return as_user(administrator)


@pytest.fixture
def seeded(db):
    """The seed indicator, exactly as on its sheet (no generated data)."""
    from reports.demo.generate import seed_indicator

    return seed_indicator()
