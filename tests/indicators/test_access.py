"""Every URL pattern, for every kind of user, with GET and POST: the expected
status, and no row changed where nothing may change."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse

from indicators.access import Principal, principal
from indicators.models import FiscalQuarter, Indicator, Role, UserSettings
from reports.models import (
    AuditScore,
    Book,
    BookChunk,
    EvidenceFile,
    Notification,
    NotificationPreference,
    QuarterReport,
)
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "staff_a", "staff_b", "auditor", "executive", "administrator"]
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# name -> (url args, POST data, {actor: (GET status, POST status)})
# Indicator of unit A: quarter 1 submitted, quarter 2 a draft with one evidence
# file, quarter 3 accepted. Staff of unit B are outsiders (404); people who may
# read but not act get 403; anonymous users are sent to sign in (302).
SIGN_IN = (302, 302)
EVERYONE_READS = {a: (200, 405) for a in ACTORS} | {"anonymous": (302, 302), "staff_b": (404, 405)}
EXPECTED = {
    "home": ((), {}, {a: (200, 405) for a in ACTORS} | {"anonymous": SIGN_IN, "auditor": (302, 405)}),
    "indicator_list": ((), {}, {a: (200, 405) for a in ACTORS} | {"anonymous": SIGN_IN}),
    "indicator_detail": (("pk",), {}, EVERYONE_READS),
    "indicator_pdf": (("pk",), {}, EVERYONE_READS),
    "indicator_history": (
        ("pk",),
        {},
        {
            "anonymous": SIGN_IN,
            "staff_a": (403, 405),
            "staff_b": (404, 405),
            "auditor": (200, 405),
            "executive": (403, 405),
            "administrator": (200, 405),
        },
    ),
    "quarter_report": (
        ("pk", 2),
        {"result": "12.5", "narrative": "รายงานใหม่", "version": "1", "save": ""},
        {
            "anonymous": (302, 401),
            "staff_a": (200, 302),
            "staff_b": (404, 404),
            "auditor": (403, 403),
            "executive": (403, 403),
            "administrator": (403, 403),
        },
    ),
    "quarter_autosave": (
        ("pk", 2),
        {"result": "13", "narrative": "ร่าง", "version": "1"},
        {
            "anonymous": (405, 401),
            "staff_a": (405, 200),
            "staff_b": (405, 404),
            "auditor": (405, 403),
            "executive": (405, 403),
            "administrator": (405, 403),
        },
    ),
    "quarter_review": (
        ("pk", 1),
        {
            "score": "90",
            "criterion_1": "80",
            "criterion_2": "70",
            "comment": "",
            "version": "1",
            "accept": "",
        },
        {
            "anonymous": SIGN_IN,
            "staff_a": (403, 403),
            "staff_b": (404, 404),
            "auditor": (200, 302),
            "executive": (403, 403),
            "administrator": (403, 403),
        },
    ),
    "quarter_reopen": (
        ("pk", 3),
        {"reason": "ตรวจพบข้อมูลไม่ครบ"},
        {
            "anonymous": SIGN_IN,
            "staff_a": (405, 403),
            "staff_b": (405, 404),
            "auditor": (405, 403),
            "executive": (405, 403),
            "administrator": (405, 302),
        },
    ),
    "evidence_download": (("evidence",), {}, EVERYONE_READS),
    "evidence_delete": (
        ("evidence",),
        {},
        {
            "anonymous": SIGN_IN,
            "staff_a": (405, 302),
            "staff_b": (405, 404),
            "auditor": (405, 403),
            "executive": (405, 403),
            "administrator": (405, 403),
        },
    ),
    # Administrators do not review (README, "Review"): the queue is the auditors'.
    "review_queue": (
        (),
        {},
        {
            "anonymous": SIGN_IN,
            "staff_a": (403, 405),
            "staff_b": (403, 405),
            "auditor": (200, 405),
            "executive": (403, 405),
            "administrator": (403, 405),
        },
    ),
    "dashboard": (
        (),
        {},
        {a: (200, 405) for a in ACTORS}
        | {"anonymous": SIGN_IN, "staff_a": (403, 405), "staff_b": (403, 405)},
    ),
}
# Sign-in, language and session plumbing, open to all by design; checked elsewhere.
# Books: the world's book was ordered by the executive.
BOOK_READERS = {
    "anonymous": SIGN_IN,
    "staff_a": (404, 405),
    "staff_b": (404, 405),
    "auditor": (404, 405),
    "executive": (200, 405),
    "administrator": (200, 405),
}
EXPECTED |= {
    "unit_page": (("unit_code",), {}, EVERYONE_READS),
    "book_list": (
        (),
        {},
        {a: (403, 405) for a in ACTORS}
        | {"anonymous": SIGN_IN, "executive": (200, 405), "administrator": (200, 405)},
    ),
    "book_order": (
        (),
        {"query": "unit=1001"},
        {a: (405, 403) for a in ACTORS}
        | {"anonymous": SIGN_IN, "executive": (405, 302), "administrator": (405, 302)},
    ),
    "book_detail": (("book",), {}, BOOK_READERS),
    "book_download": (("book",), {}, BOOK_READERS),
}
# Exchange files: the export of the list (whoever reads the list; staff get their own
# units' rows) and the blank import template (administrators).
EXPORT_READERS = {a: (200, 405) for a in ACTORS} | {"anonymous": SIGN_IN}
TEMPLATE_READERS = {a: (403, 405) for a in ACTORS} | {"anonymous": SIGN_IN, "administrator": (200, 405)}
EXPECTED |= {
    "indicator_export_xlsx": ((), {}, EXPORT_READERS),
    "indicator_export_csv": ((), {}, EXPORT_READERS),
    "indicator_import_template_xlsx": ((), {}, TEMPLATE_READERS),
    "indicator_import_template_csv": ((), {}, TEMPLATE_READERS),
}
# Notifications: each user's own (another's is 404); the world gives everyone one unread.
SIGNED_IN_ALL = {a: (200, 405) for a in ACTORS} | {"anonymous": SIGN_IN}
EXPECTED |= {
    "notification_list": ((), {}, SIGNED_IN_ALL),
    "notification_open": (
        ("notification",),
        {},
        {a: (405, 404) for a in ACTORS} | {"anonymous": SIGN_IN, "staff_a": (405, 302)},
    ),
    "notification_mark_all_read": ((), {}, {a: (405, 302) for a in ACTORS} | {"anonymous": SIGN_IN}),
    "notification_preferences": (
        (),
        {"language": "en", "reminders_in_app": "on"},
        {a: (200, 302) for a in ACTORS} | {"anonymous": SIGN_IN},
    ),
}
# Open to everyone, signed in or not, tested on their own: the unsubscribe link of a mail (a signed
# link; tests/reports/test_notifications.py) and health (tests/kpi_portal/test_health.py).
NOT_WALKED = {
    "login",
    "logout",
    "set_language",
    "session_keepalive",
    "notification_unsubscribe",
    "health",
    "health_background",
}


def test_every_url_pattern_is_walked():
    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    portal_names = {name for name in names if ":" not in name}
    assert portal_names - NOT_WALKED == set(EXPECTED)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    year = make_fiscal_year(2568)
    for quarter in (1, 2, 3, 4):
        FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=f"2030-0{quarter}-15")
    unit_a, unit_b = make_unit("1001"), make_unit("1002")
    indicator = make_indicator(year, unit_a)
    make_report(indicator, 1, "10", "ไตรมาส 1", status=QuarterReport.Status.SUBMITTED)
    draft = make_report(indicator, 2, "20", "ไตรมาส 2", status=QuarterReport.Status.DRAFT)
    make_report(indicator, 3, "30", "ไตรมาส 3", status=QuarterReport.Status.ACCEPTED)
    upload = SimpleUploadedFile("หลักฐาน.pdf", PDF_BYTES, content_type="application/pdf")
    upload.detected_type = "application/pdf"
    evidence = draft.attach_evidence(upload, None)
    users = {
        "staff_a": make_user("staff_a", Role.UNIT_STAFF, [unit_a]),
        "staff_b": make_user("staff_b", Role.UNIT_STAFF, [unit_b]),
        "auditor": make_user("auditor", Role.AUDITOR),
        "executive": make_user("executive", Role.EXECUTIVE),
        "administrator": make_user("administrator", Role.ADMINISTRATOR),
    }
    book = Book.objects.create(
        title="สมุด",
        ordered_by=users["executive"],
        status=Book.Status.DONE,
        total=1,
        indicator_ids=[indicator.pk],
    )
    book.file.save("book.pdf", ContentFile(PDF_BYTES))
    notifications = {
        name: Notification.objects.create(recipient=user, kind="reminders", title="แจ้งเตือน", link="/")
        for name, user in users.items()
    }
    return {
        "notification": notifications["staff_a"].pk,
        "pk": indicator.pk,
        "evidence": evidence.pk,
        "users": users,
        "unit_code": unit_a.code,
        "book": book.pk,
    }


def snapshot():
    """Everything a request could change, as comparable values."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (
            Indicator,
            QuarterReport,
            AuditScore,
            EvidenceFile,
            FiscalQuarter,
            Book,
            BookChunk,
            Notification,
            NotificationPreference,
            UserSettings,
        )
    ] + [model.history.count() for model in (Indicator, QuarterReport, AuditScore, EvidenceFile)]


CASES = [(name, actor, method) for name in EXPECTED for actor in ACTORS for method in ("GET", "POST")]


@pytest.mark.parametrize(("name", "actor", "method"), CASES)
def test_access(client, world, name, actor, method):
    arg_names, data, expected = EXPECTED[name]
    args = [world[a] if isinstance(a, str) else a for a in arg_names]
    url = reverse(name, args=args)
    if actor != "anonymous":
        client.force_login(world["users"][actor])
    before = snapshot()
    response = client.get(url) if method == "GET" else client.post(url, data)
    status = expected[actor][0 if method == "GET" else 1]
    assert response.status_code == status, (url, actor, method)
    if status == 302 and actor == "anonymous":
        assert response.url.startswith(reverse("login"))
    changed = snapshot() != before
    writes = method == "POST" and status in (200, 302) and actor != "anonymous"
    assert changed == writes, f"{url} {actor} {method}: rows changed={changed}"


# --- one rule for reviewing: the queue, its link and the buttons agree --------------------------


REVIEWERS = [("auditor", True), ("administrator", False), ("executive", False)]


@pytest.mark.parametrize(("role", "reviews"), REVIEWERS)
def test_whoever_sees_the_review_queue_and_its_buttons_may_review(role, reviews, request, unit):
    user = request.getfixturevalue(role)
    indicator = make_indicator(make_fiscal_year(2568), unit)
    make_report(indicator, 1, "10", "ส่งแล้ว", status=QuarterReport.Status.SUBMITTED)
    client = Client()
    client.force_login(user)
    queue, review = reverse("review_queue"), reverse("quarter_review", args=[indicator.pk, 1])
    detail = client.get(reverse("indicator_detail", args=[indicator.pk])).content.decode()
    assert (f'href="{queue}"' in detail, f'href="{review}"' in detail) == (reviews, reviews)
    assert client.get(queue).status_code == (200 if reviews else 403)
    assert client.get(review).status_code == (200 if reviews else 403)


def test_roles_and_units_are_read_in_one_query(django_assert_num_queries):
    first, second, elsewhere = make_unit(), make_unit(), make_unit()
    user = make_user(role=Role.UNIT_STAFF, units=[first, second])
    user.groups.add(Group.objects.get_or_create(name=Role.EXECUTIVE)[0])
    make_user(role=Role.AUDITOR, units=[elsewhere])  # someone else's roles and units
    with django_assert_num_queries(1):
        who = principal(user)
    assert who.roles == {"unit_staff", "executive"}
    assert who.unit_ids == {first.pk, second.pk}
    with django_assert_num_queries(0):  # read once per request (cached on the user)
        assert principal(user) is who


def test_a_user_without_roles_or_units_has_none():
    who = principal(make_user(role=Role.UNIT_STAFF))
    assert who.unit_ids == frozenset()
    assert who.roles == {"unit_staff"}
    user = make_user(role=Role.AUDITOR)
    user.groups.clear()
    assert principal(user) == Principal(frozenset(), frozenset(), False)
