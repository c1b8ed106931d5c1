"""The browser tests' world and helpers: a fiscal year with a quarter in every state,
the four roles signed in by cookie, screenshots kept as test artefacts, axe-core."""

import datetime
import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

from indicators.models import FiscalQuarter, Role
from reports import services
from reports.models import Review
from tests.factories import make_fiscal_year, make_indicator, make_report, make_score, make_unit, make_user

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Serious and critical violations fail a test; moderate and minor ones are reported only.
FAILING_IMPACTS = {"serious", "critical"}
ROOT = Path(__file__).resolve().parent.parent.parent


def artifacts_dir() -> Path:
    """Where screenshots go: $KPI_ARTIFACTS, else test-artifacts/ (git-ignored)."""
    path = Path(os.environ.get("KPI_ARTIFACTS") or ROOT / "test-artifacts") / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_world() -> dict:
    """A fiscal year whose quarters 1-3 are past their deadline, two units, and one
    indicator's quarters accepted (scored), submitted, returned and in draft."""
    year = make_fiscal_year(2569)
    for quarter, due in {1: "2026-01-15", 2: "2026-04-15", 3: "2026-07-15", 4: "2099-10-15"}.items():
        FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=due)
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    other = make_unit("5017", "สำนักงานเขตบางกอกใหญ่")
    people = {
        "staff": make_user("somchai", Role.UNIT_STAFF, [unit], first_name="สมชาย", last_name="ใจดี"),
        "auditor": make_user("auditor", Role.AUDITOR, first_name="วรรณา", last_name="ตรวจสอบ"),
        "executive": make_user("executive", Role.EXECUTIVE, first_name="ประเสริฐ", last_name="บริหาร"),
        "administrator": make_user(
            "admin",
            Role.ADMINISTRATOR,
            first_name="อรุณ",
            last_name="ดูแลระบบ",
            is_staff=True,
            is_superuser=True,
        ),
    }
    indicator = make_indicator(
        year, unit, code="0685", name="ร้อยละความสำเร็จของการดำเนินโครงการพัฒนาคุณภาพชีวิตผู้สูงอายุ"
    )
    make_indicator(year, unit, code="0686", name="จำนวนชุมชนที่ได้รับการพัฒนาตามแผน", unit_of_measure="count")
    make_indicator(year, other, code="0101", name="ร้อยละของเรื่องร้องเรียนที่ได้รับการแก้ไข")
    make_report(
        indicator,
        1,
        "25",
        "ดำเนินการตามแผนไตรมาสที่ 1 ครบถ้วน",
        status="accepted",
        reviewed_by=people["auditor"],
        reviewed_at=datetime.datetime(2026, 1, 20, 10, 30, tzinfo=datetime.UTC),
    )
    make_score(indicator, 1, score="95", criterion_1="100", criterion_2="90")
    make_report(indicator, 2, "50", "ดำเนินการอบรมผู้สูงอายุ 3 รุ่น", status="submitted")
    returned = make_report(indicator, 3, "70", "รายงานไตรมาสที่ 3", status="submitted")
    services.review_report(
        returned,
        people["auditor"],
        accept=False,
        version=returned.version,
        review=Review(comment="กรุณาแนบภาพกิจกรรมเพิ่มเติม"),
    )
    return {"indicator": indicator, "unit": unit, "people": people}


def main_pages(world: dict) -> dict[str, list[tuple[str, str]]]:
    """Each role's main pages, (name, path)."""
    pk = world["indicator"].pk
    common = [
        ("indicators", "/indicators/"),
        ("sheet", f"/indicators/{pk}/"),
        ("notifications", "/notifications/"),
        ("security", "/account/security/"),
    ]
    return {
        "staff": [
            ("home", "/"),
            ("entry", f"/indicators/{pk}/quarters/4/report/"),
            ("entry-returned", f"/indicators/{pk}/quarters/3/report/"),
            ("unit", "/units/5016/"),
            ("preferences", "/notifications/preferences/"),
            *common,
        ],
        "auditor": [
            ("queue", "/review/"),
            ("review", f"/indicators/{pk}/quarters/2/review/"),
            ("review-accepted", f"/indicators/{pk}/quarters/1/review/"),
            ("history", f"/indicators/{pk}/history/"),
            ("dashboard", "/dashboard/"),
            *common,
        ],
        "executive": [
            ("home", "/"),
            ("dashboard", "/dashboard/"),
            ("books", "/books/"),
            ("unit", "/units/5016/"),
            *common,
        ],
        "administrator": [
            ("home", "/"),
            ("dashboard", "/dashboard/"),
            ("history", f"/indicators/{pk}/history/"),
            ("books", "/books/"),
            ("unit", "/units/5016/"),
            ("admin", "/admin/"),
            ("admin-indicators", "/admin/indicators/indicator/"),
            # Not yet the change forms: Django's autocomplete (select2) boxes have no
            # accessible name and the admin breadcrumbs' links fail link-in-text-block.
            *common,
        ],
    }


def sign_in_by_cookie(page: Page, base: str, user) -> None:
    """Signed in as ``user`` (second factor done: tests/conftest.py) without the sign-in
    pages, which tests/browser/test_reporting_flow.py walks through."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


_axe = Axe()


def axe_violations(page: Page) -> list[str]:
    """The page's serious and critical axe-core violations, one line each."""
    results = _axe.run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in FAILING_IMPACTS:
            for node in violation["nodes"][:3]:
                target = " ".join(map(str, node["target"]))
                why = node.get("failureSummary", "").replace("\n", " ")
                found.append(f"{violation['id']} ({violation['impact']}) @ {target}: {why}")
    return found


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def overflows_horizontally(page: Page) -> bool:
    """Whether the page is wider than the window (a phone user would scroll sideways);
    tables inside .table-responsive scroll on their own and do not count."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
