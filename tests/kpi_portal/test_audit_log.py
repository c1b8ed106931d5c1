"""The audit log: sign-ins, failures, lockouts, two-step failures and refusals are
written by the code paths that do them; administrators read it, nobody changes it."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from indicators.audit import AuditEvent
from indicators.models import Role
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-7"
Kind = AuditEvent.Kind


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def everything_written() -> str:
    """Every audit entry as text, to look for what must never be there."""
    return json.dumps(
        [
            [str(value) for value in row]
            for row in AuditEvent.objects.values_list(
                "username", "path", "request_id", "detail", "ip_address"
            )
        ],
        ensure_ascii=False,
    )


def test_a_sign_in_is_written_with_who_where_and_the_request_id():
    user = make_user("somsak", password=PASSWORD)
    response = sign_in(Client(), "somsak", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    (event,) = AuditEvent.objects.filter(kind=Kind.SIGNED_IN)
    assert (event.user, event.username, event.ip_address) == (user, "somsak", "203.0.113.7")
    assert event.path == "/accounts/login/"
    assert event.request_id == response["X-Request-ID"] and len(event.request_id) == 32
    assert PASSWORD not in everything_written()


def test_a_failed_sign_in_keeps_the_typed_username_and_never_the_password():
    make_user("somsak", password=PASSWORD)
    response = sign_in(Client(), "somsak", "Wrong-guess-123", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    sign_in(Client(), "nobody-here", "Another-guess-456")
    failed = AuditEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).order_by("pk")
    assert [(e.username, e.user_id) for e in failed] == [("somsak", None), ("nobody-here", None)]
    assert failed[0].ip_address == "198.51.100.4"
    written = everything_written()
    assert "Wrong-guess-123" not in written and "Another-guess-456" not in written
    assert not AuditEvent.objects.filter(kind=Kind.SIGNED_IN).exists()


def test_a_lockout_is_written(settings):
    make_user("somsak", password=PASSWORD)
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "somsak", f"wrong-{attempt}")
    locked = sign_in(client, "somsak", PASSWORD)
    assert locked.status_code == 429
    (event,) = AuditEvent.objects.filter(kind=Kind.LOCKED_OUT)[:1]
    assert event.username == "somsak" and event.detail == {"scope": "username and address"}
    assert event.ip_address == "127.0.0.1"
    assert not AuditEvent.objects.filter(kind=Kind.SIGNED_IN).exists()


def test_an_address_lockout_is_written(settings):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 3
    client = Client()
    for name in ("a1", "a2", "a3"):
        sign_in(client, name, "guess")
    event = AuditEvent.objects.get(kind=Kind.LOCKED_OUT)
    assert event.detail == {"scope": "address"} and event.username == "a3"


def test_a_refused_two_step_code_is_written_without_the_code():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("auditor", role=Role.AUDITOR, password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    assert sign_in(client, "auditor").status_code == 302
    response = client.post(reverse("two_factor:verify"), {"code": "123456"})
    assert response.status_code == 400
    (event,) = AuditEvent.objects.filter(kind=Kind.TWO_FACTOR_FAILED)
    assert event.user == user and event.detail == {"throttled": False}
    assert "123456" not in everything_written()


def test_a_refused_request_is_written(client):
    staff = make_user("staff", units=[make_unit("5001")])
    client.force_login(staff)
    assert client.get(reverse("dashboard")).status_code == 403
    (event,) = AuditEvent.objects.filter(kind=Kind.REFUSED)
    assert (event.user, event.path, event.detail) == (staff, "/dashboard/", {"method": "GET"})


def test_a_sign_out_is_written(client):
    user = make_user("somsak")
    client.force_login(user)
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(kind=Kind.SIGNED_OUT, user=user).count() == 1


@pytest.mark.parametrize(
    "proxies, forwarded_for, expected",
    [
        (0, "10.9.9.9", "192.0.2.10"),  # no proxy configured: the header is anyone's, ignored
        (1, "10.9.9.9", "10.9.9.9"),  # one proxy: the entry it appended
        (1, "6.6.6.6, 10.9.9.9", "10.9.9.9"),  # what the client sent itself is skipped
        (2, "6.6.6.6, 10.9.9.9, 172.16.0.5", "10.9.9.9"),  # two proxies: the outer one's entry
        (2, "10.9.9.9", "192.0.2.10"),  # fewer entries than proxies: not through ours
        (1, "not-an-address", "192.0.2.10"),
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    make_user("somsak", password=PASSWORD)
    sign_in(Client(), "somsak", "wrong", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert AuditEvent.objects.get(kind=Kind.SIGN_IN_FAILED).ip_address == expected
    # django-axes counts the failure at the same address.
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().ip_address == expected


def test_the_forwarded_address_is_believed_only_from_listed_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["192.0.2.0/24"]
    sign_in(Client(), "x", "wrong", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.9.9.9")
    sign_in(Client(), "y", "wrong", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    addresses = dict(AuditEvent.objects.values_list("username", "ip_address"))
    assert addresses == {"x": "10.9.9.9", "y": "198.51.100.1"}


def test_administrators_read_and_filter_the_log_and_nobody_changes_it(client):
    make_user("somsak", password=PASSWORD)
    sign_in(Client(), "somsak", "wrong")
    sign_in(Client(), "somsak", PASSWORD)
    admin = make_user("admin", role=Role.ADMINISTRATOR, is_staff=True)
    client.force_login(admin)
    listing = reverse("admin:indicators_auditevent_changelist")
    page = client.get(listing, {"kind__exact": Kind.SIGN_IN_FAILED})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    event = AuditEvent.objects.get(kind=Kind.SIGNED_IN, username="somsak")
    change_url = reverse("admin:indicators_auditevent_change", args=[event.pk])
    assert client.get(change_url).status_code == 200  # shown read-only
    assert client.post(change_url, {"username": "someone-else"}).status_code == 403
    assert client.get(reverse("admin:indicators_auditevent_add")).status_code == 403
    delete_url = reverse("admin:indicators_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.username == "somsak"
    # Another admin-site user who is not an administrator does not see it.
    other = make_user("clerk", role=Role.UNIT_STAFF, is_staff=True)
    other_client = Client()
    other_client.force_login(other)
    assert other_client.get(listing).status_code == 403


def test_old_entries_are_pruned_after_the_retention(settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 30
    make_user("somsak", password=PASSWORD)
    sign_in(Client(), "somsak", "wrong")
    sign_in(Client(), "somsak", "wrong again")
    old, recent = AuditEvent.objects.order_by("pk")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timezone.timedelta(days=31))
    call_command("prune_audit_log", dry_run=True, verbosity=0)
    assert AuditEvent.objects.count() == 2
    call_command("prune_audit_log", verbosity=0)
    assert list(AuditEvent.objects.all()) == [recent]


def test_an_import_through_the_admin_is_written_with_the_file_and_counts(client):
    from tests.indicators.exchange.test_import_export import good_rows, make_registry, xlsx_bytes

    make_registry()
    admin = make_user("importer", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    upload = SimpleUploadedFile("ตัวชี้วัด ปี 2568.xlsx", xlsx_bytes(good_rows()))
    response = client.post(reverse("admin:indicators_indicator_import"), {"file": upload})
    assert response.status_code == 302
    (event,) = AuditEvent.objects.filter(kind=Kind.IMPORTED)
    assert (event.user, event.path) == (admin, reverse("admin:indicators_indicator_import"))
    rows = len(good_rows())
    assert event.detail == {
        "file": "ตัวชี้วัด ปี 2568.xlsx",
        "imported": True,
        "errors": 0,
        "rows": rows,
        "created": rows,
        "updated": 0,
        "unchanged": 0,
        "targets_created": event.detail["targets_created"],
        "targets_updated": 0,
        "targets_deleted": 0,
    }
    assert event.detail["targets_created"] > 0


def test_a_refused_import_from_the_command_line_is_written_and_a_dry_run_is_not(tmp_path):
    from tests.indicators.exchange.test_import_export import csv_bytes, good_rows, make_registry

    make_registry()
    rows = good_rows()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(rows))
    call_command("import_indicators", str(good), dry_run=True, stdout=io.StringIO())
    assert not AuditEvent.objects.exists()
    rows[0]["fiscal_year"] = "2400"  # unknown: the whole file is refused
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError):
        call_command("import_indicators", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    (event,) = AuditEvent.objects.all()
    assert (event.kind, event.user, event.ip_address) == (Kind.IMPORTED, None, None)
    assert event.detail["file"] == "bad.csv" and event.detail["imported"] is False
    assert event.detail["errors"] >= 1 and event.detail["created"] == 0


def test_locks_unlocks_and_reopenings_are_written(client):
    from indicators.models import FiscalQuarter
    from tests.factories import make_fiscal_year, make_indicator, make_report

    year = make_fiscal_year(2568)
    quarter = FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date="2025-04-15")
    admin = make_user("admin", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:indicators_fiscalquarter_changelist")
    client.post(
        changelist, {"action": "lock_quarters", "_selected_action": [quarter.pk]}, REMOTE_ADDR="192.0.2.5"
    )
    client.post(changelist, {"action": "lock_quarters", "_selected_action": [quarter.pk]})  # already: nothing
    client.post(changelist, {"action": "unlock_quarters", "_selected_action": [quarter.pk]})
    events = AuditEvent.objects.exclude(kind=Kind.SIGNED_IN).order_by("pk")
    assert [(e.kind, e.user, e.detail) for e in events] == [
        (Kind.QUARTER_LOCKED, admin, {"fiscal_year": 2568, "quarter": 2}),
        (Kind.QUARTER_UNLOCKED, admin, {"fiscal_year": 2568, "quarter": 2}),
    ]
    assert events[0].ip_address == "192.0.2.5"

    indicator = make_indicator(year, make_unit("5016"), code="0685")
    make_report(indicator, 2, "10", "ผลงาน", status="accepted")
    response = client.post(reverse("quarter_reopen", args=[indicator.pk, 2]), {"reason": "ขอให้แก้ตัวเลข"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind=Kind.REPORT_REOPENED)
    assert (event.user, event.path) == (admin, reverse("quarter_reopen", args=[indicator.pk, 2]))
    assert event.detail == {
        "indicator": indicator.full_code,
        "fiscal_year": 2568,
        "quarter": 2,
        "reason": "ขอให้แก้ตัวเลข",
    }
