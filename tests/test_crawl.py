"""Walk the portal as its users do (issue 8, "the tests that would have found them").

After ``seed_demo`` (small), plus rows the demo does not make (reports written through
the workflow by accounts since deactivated, evidence, books, a returned report), sign in
as each role and follow every link and every GET form (with its default values) from
every page reached, the admin's included for the administrator. On SQLite and
PostgreSQL alike: no response is a server error, reading changes nothing, downloads are
not cached, a GET form never carries the CSRF token, and unit staff never reach another
unit's data.
"""

import datetime
import io
from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from indicators.audit import AuditEvent
from indicators.models import FiscalQuarter, Indicator, OrgUnit, Role, UnitMembership
from reports import services
from reports.migration import sheets
from reports.models import Book, EvidenceFile, QuarterReport, Review
from tests.factories import make_user
from tests.reports.test_sheet_migration import shape_rows, xlsx_of
from tests.web import PDF_BYTES, changed_tables, db_snapshot, parse_page, route_url, routes, same_site_path

pytestmark = pytest.mark.django_db

MAX_PAGES = 400  # per user: the crawl stays fast, and still reaches every kind of page
# Pages of each kind: the portal's by ``kind_key``; the admin's (the same code for every
# model) and the slow downloads (PDF rendering, spreadsheets) by route only.
PER_KIND = {"portal": 2, "admin": 1, "slow": 1}
SLOW_ROUTES = {"indicator_pdf", "book_download", "indicator_export_xlsx", "indicator_export_csv"}
NEVER_FOLLOW = {"logout", "admin:logout", "set_language", "login"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data and more, loaded once for the module and rolled back after it."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        call_command("seed_demo", units=3, per_unit=4, years=2, stdout=None)
        yield add_rows_the_demo_does_not_make()
        transaction.set_rollback(True)


def add_rows_the_demo_does_not_make() -> dict:
    """Demo rows have no users attached (like rows migrated from the old system); add rows
    written through the workflow by an account that was deactivated since, with evidence,
    one of them returned by the auditor; a second unit's staff; a ready and a failed book."""
    User = get_user_model()
    auditor, executive = User.objects.get(username="auditor"), User.objects.get(username="executive")
    third_unit = OrgUnit.objects.exclude(code__in=("5016", "5001")).order_by("code").first()
    make_user("staff-other-unit", Role.UNIT_STAFF, [third_unit], first_name="สมศรี")
    leaver = make_user("leaver", Role.UNIT_STAFF, [OrgUnit.objects.get(code="5016")], first_name="ลาออก")

    unit_indicators = Indicator.objects.filter(org_unit__code="5016").order_by(
        "-fiscal_year__year", "sequence"
    )
    editable = [
        (indicator, period.quarter)
        for indicator in unit_indicators
        for period in indicator.fiscal_year.quarters.filter(locked_at=None).order_by("quarter")
        if not indicator.reports.filter(quarter=period.quarter, status__in=("submitted", "accepted")).exists()
    ]
    assert len(editable) >= 3, "the demo has no open quarter to write reports in"
    for number, (indicator, quarter) in enumerate(editable[:3]):
        current = QuarterReport.objects.filter(indicator=indicator, quarter=quarter).first()
        version = current.version if current else 0
        narrative = "รายงานที่ส่งโดยผู้ที่ลาออกแล้ว"
        saved = services.save_report(
            indicator, quarter, leaver, result=None, narrative=narrative, version=version, submit=number != 1
        )
        evidence = EvidenceFile(report=saved, original_name="หลักฐาน.pdf", content_type="application/pdf")
        evidence.size, evidence.uploaded_by = len(PDF_BYTES), leaver if number else None
        evidence.file.save("e", ContentFile(PDF_BYTES), save=False)
        evidence.save()
        if number == 2:
            saved.return_for_revision(
                by=auditor, version=saved.version, review=Review(comment="กรุณาแนบหลักฐานเพิ่ม")
            )
    leaver.is_active = False
    leaver.save()

    book = Book(title="เล่มทดสอบ", ordered_by=executive, status=Book.Status.DONE, total=1, page_count=1)
    book.file.save("book.pdf", ContentFile(PDF_BYTES), save=False)
    book.finished_at = timezone.now() - datetime.timedelta(hours=1)
    book.save()
    Book.objects.create(title="เล่มที่สร้างไม่สำเร็จ", ordered_by=executive, status=Book.Status.FAILED)
    add_migrated_sheets()
    return {"book": book}


def add_migrated_sheets() -> None:
    """Sheets migrated from the old system into last year (closed: accepted and locked):
    a new unit of measure, a name over 200 characters, results going down, a score
    without criteria and criteria without a score, verification in quarter 3, no users."""
    last_year = Indicator.objects.order_by("fiscal_year__year").values_list("fiscal_year__year", flat=True)[0]
    rows = [
        row | {"fiscal_year": last_year, "indicator_code": f"09{row['indicator_code'][2:]}"}
        for row in shape_rows()
    ]
    result = sheets.import_sheets(io.BytesIO(xlsx_of(rows)), "migrated.xlsx", add_new_units=True)
    assert result.ok, result.errors


def unit_ids(user) -> list[int]:
    return list(UnitMembership.objects.filter(user=user).values_list("org_unit_id", flat=True))


# --- the crawl ---------------------------------------------------------------------------------


@dataclass
class Visit:
    url: str
    route: str
    status: int
    html: str | None


def route_name(path: str) -> str | None:
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return None
    return match.view_name


def kind_key(path: str, name: str) -> tuple:
    """Pages of one kind: the same route, the same query keys, and rows of the same
    shape (a report's status, which of its users are missing, evidence, a lock). The
    crawl visits a few pages of each kind, so it reaches every kind of row quickly."""
    query = path.split("?", 1)[1] if "?" in path else ""
    keys = frozenset(part.split("=", 1)[0] for part in query.split("&") if part)
    return (name, keys, row_shape(resolve(path.split("?", 1)[0])))


def report_shape(report: QuarterReport | None) -> tuple:
    if report is None:
        return ()
    period = FiscalQuarter.objects.filter(fiscal_year=report.indicator.fiscal_year_id, quarter=report.quarter)
    return (
        report.status,
        report.submitted_by_id is None,
        report.updated_by_id is None,
        report.reviewed_by_id is None,
        report.evidence.exists(),
        period.exclude(locked_at=None).exists(),
    )


def row_shape(match) -> tuple:
    kwargs = match.kwargs
    if "quarter" in kwargs:
        report = QuarterReport.objects.filter(indicator=kwargs["pk"], quarter=kwargs["quarter"]).first()
        return report_shape(report)
    if match.url_name in ("indicator_detail", "indicator_pdf", "indicator_history"):
        reports = QuarterReport.objects.filter(indicator=kwargs["pk"]).order_by("quarter")
        return tuple(sorted({report_shape(report) for report in reports}))
    if match.url_name == "evidence_download":
        return (EvidenceFile.objects.get(pk=kwargs["evidence_id"]).uploaded_by_id is None,)
    if match.url_name in ("book_detail", "book_download"):
        return (Book.objects.get(pk=kwargs["pk"]).status,)
    return ()


def crawl(client: Client, start: list[str]) -> list[Visit]:
    """Breadth first from ``start``: links, GET forms and redirects, same site only."""
    queue, seen, visits, per_kind = deque(), set(), [], Counter()

    def enqueue(path):
        if path not in seen:
            seen.add(path)
            queue.append(path)

    for path in start:
        enqueue(path)
    while queue and len(visits) < MAX_PAGES:
        path = queue.popleft()
        name = route_name(path)
        if name is None or name in NEVER_FOLLOW:
            continue
        kind = "slow" if name in SLOW_ROUTES else "admin" if name.startswith("admin:") else "portal"
        key = kind_key(path, name) if kind == "portal" else (name,)
        if per_kind[key] >= PER_KIND[kind]:
            continue
        per_kind[key] += 1
        response = client.get(path)
        html = None
        if response.streaming:
            b"".join(response.streaming_content)
        elif response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
        visits.append(Visit(path, name, response.status_code, html))
        assert response.status_code < 500, path
        if "Content-Disposition" in response.headers:
            directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
            assert {"private", "no-store"} <= directives, path
        if response.status_code in (301, 302) and (target := same_site_path(response["Location"], path)):
            enqueue(target)
        if html is None:
            continue
        page = parse_page(html)
        for href in page.links:
            if (target := same_site_path(href.split("#", 1)[0], path)) is not None:
                enqueue(target)
        for form in page.forms:
            if form.method != "get":
                continue
            names = [field_name for field_name, _ in form.fields]
            assert "csrfmiddlewaretoken" not in names, f"a GET form on {path} puts the CSRF token in URLs"
            action = same_site_path(form.action or path.split("?", 1)[0], path)
            if action is not None:
                enqueue(action.split("?", 1)[0] + "?" + form.query())
    return visits


def start_pages(user) -> list[str]:
    return ["/", "/indicators/", "/admin/"] if user.is_staff else ["/", "/indicators/"]


ROLES = ["staff", "staff-other-unit", "leaver-colleague", "auditor", "executive", "admin"]


@pytest.mark.parametrize("username", ROLES)
def test_every_page_reached_by_links_and_forms_answers(demo, username):
    User = get_user_model()
    if username == "leaver-colleague":
        # Another account of the unit whose reports were written by someone who left.
        user = make_user("colleague", Role.UNIT_STAFF, [OrgUnit.objects.get(code="5016")])
    else:
        user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    client.get("/")  # the session's first save, before the snapshot
    before, devices_before = db_snapshot(), confirmed_devices()
    crawl_started = timezone.now()
    visits = crawl(client, start_pages(user))
    errors = [(visit.url, visit.status) for visit in visits if visit.status >= 500]
    assert errors == []
    reached = Counter(visit.route for visit in visits if visit.status == 200)
    assert reached["indicator_detail"] and reached["indicator_list"], reached
    if username in ("staff", "leaver-colleague"):
        assert reached["quarter_report"] and reached["evidence_download"], reached
    if username == "auditor":
        assert reached["quarter_review"] and reached["indicator_history"], reached
    if username == "executive":
        assert reached["book_download"] and reached["dashboard"] and reached["unit_page"], reached
    if username == "admin":
        assert sum(count for route, count in reached.items() if route.startswith("admin:")) > 30, reached
    # Reading pages changes nothing (sessions aside), but for two things: the two-factor
    # set-up page creates the secret it shows, an unconfirmed device reused on later visits;
    # and each refused page (403) is written to the audit log, exactly once, nothing else.
    assert set(changed_tables(before, db_snapshot())) <= {"otp_totp.TOTPDevice", "indicators.AuditEvent"}
    refused = [visit.url for visit in visits if visit.status == 403]
    written = AuditEvent.objects.filter(at__gte=crawl_started).order_by("pk")
    assert [(event.kind, event.user_id) for event in written] == [(AuditEvent.Kind.REFUSED, user.pk)] * len(
        refused
    )
    assert sorted(event.path for event in written) == sorted(unquote(urlsplit(url).path) for url in refused)
    assert confirmed_devices() == devices_before
    if user.groups.filter(name=Role.UNIT_STAFF).exists():
        assert_only_own_units(user, visits)


def confirmed_devices() -> list:
    return list(TOTPDevice.objects.filter(confirmed=True).order_by("pk").values_list("pk", "user", "key"))


def assert_only_own_units(user, visits):
    """Staff reach their own units' indicators, evidence and pages only, and never see
    another unit's indicator names."""
    own = set(unit_ids(user))
    own_names = set(Indicator.objects.filter(org_unit__in=own).values_list("name", flat=True))
    foreign_names = set(Indicator.objects.exclude(org_unit__in=own).values_list("name", flat=True))
    foreign_names -= own_names
    assert foreign_names
    for visit in visits:
        if visit.status != 200:
            continue
        match = resolve(visit.url.split("?", 1)[0])
        unit = unit_of(match)
        assert unit is None or unit in own, visit.url
        if visit.html:
            leaked = [name for name in foreign_names if name in visit.html]
            assert leaked == [], (visit.url, leaked[:3])


def unit_of(match) -> int | None:
    """The unit whose data a page shows, for the pages that belong to one unit."""
    kwargs = match.kwargs
    if match.url_name in ("indicator_detail", "indicator_pdf", "indicator_history") or "quarter" in kwargs:
        return Indicator.objects.get(pk=kwargs["pk"]).org_unit_id
    if match.url_name == "evidence_download":
        return EvidenceFile.objects.get(pk=kwargs["evidence_id"]).report.indicator.org_unit_id
    if match.url_name == "unit_page":
        return OrgUnit.objects.get(code=kwargs["code"]).pk
    return None


def test_staff_reach_nothing_of_another_unit_by_any_url(demo):
    """Every URL of the portal filled in with another unit's objects: never a 200."""
    staff = get_user_model().objects.get(username="staff")
    own = unit_ids(staff)
    foreign = Indicator.objects.exclude(org_unit__in=own).order_by("pk")
    indicator = foreign.filter(reports__evidence__isnull=False).first() or foreign.first()
    report = QuarterReport.objects.filter(indicator__in=foreign).order_by("pk").first()
    evidence = EvidenceFile(report=report, original_name="ลับ.pdf", content_type="application/pdf", size=1)
    evidence.file.save("secret", ContentFile(PDF_BYTES), save=False)
    evidence.save()
    book_pk = demo["book"].pk
    values = {
        "pk": lambda route: book_pk if route.name.startswith("book") else indicator.pk,
        "quarter": report.quarter,
        "evidence_id": evidence.pk,
        "code": indicator.org_unit.code,
        # An unsubscribe link is signed: staff can only forge one (for the auditor, say).
        "token": "WzEsWyJyZW1pbmRlcnMiXV0:forged-signature",
    }
    client = Client()
    client.force_login(staff)
    tried = []
    for route in routes():
        if route.name is None or route.name.startswith("admin:") or not route.kwargs:
            continue
        url = route_url(route, values)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (302, 403, 404, 405), (route.name, method.__name__, url)
            tried.append(route.name)
    assert {"indicator_detail", "indicator_pdf", "quarter_report", "evidence_download", "unit_page"} <= set(
        tried
    )
    assert {"book_detail", "book_download"} <= set(tried)
