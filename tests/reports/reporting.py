"""The world of the reporting tests (entry, review, history, home) and their helpers."""

import re
from html import unescape

from django.urls import reverse

from indicators.models import FiscalQuarter, Role
from reports.models import QuarterReport
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def reporting_world():
    """A fiscal year with deadlines far ahead, a unit, its indicator, two of its staff, an
    auditor and an administrator."""
    year = make_fiscal_year(2568)
    periods = {
        q: FiscalQuarter.objects.create(fiscal_year=year, quarter=q, due_date=f"2099-0{q}-15")
        for q in (1, 2, 3, 4)
    }
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    indicator = make_indicator(year, unit, code="0685", name="ร้อยละความสำเร็จของโครงการ")
    staff = make_user("somchai", Role.UNIT_STAFF, [unit], first_name="สมชาย", password="pw-staff-1")
    colleague = make_user("somsri", Role.UNIT_STAFF, [unit], first_name="สมศรี")
    auditor = make_user("auditor", Role.AUDITOR, first_name="ผู้ตรวจ")
    admin = make_user("admin", Role.ADMINISTRATOR)
    return {
        "indicator": indicator,
        "periods": periods,
        "staff": staff,
        "colleague": colleague,
        "auditor": auditor,
        "admin": admin,
    }


def entry_url(indicator, quarter=1):
    return reverse("quarter_report", args=[indicator.pk, quarter])


def field_value(response, name):
    """The value a re-rendered form shows for ``name`` (input value or textarea text)."""
    html = response.content.decode()
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    if textarea:
        return unescape(textarea.group(1)).lstrip("\n")
    value = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return unescape(value.group(1)) if value else None


def save(client, indicator, quarter=1, version=0, submit=False, **fields):
    data = {"result": "30", "narrative": "รายงานผลไตรมาสแรก", "version": str(version), **fields}
    data["submit" if submit else "save"] = ""
    return client.post(entry_url(indicator, quarter), data)


def review(client, indicator, quarter=1, accept=True, **fields):
    report = QuarterReport.objects.get(indicator=indicator, quarter=quarter)
    data = {
        "score": "95",
        "criterion_1": "100",
        "criterion_2": "90",
        "comment": "",
        "version": report.version,
    }
    data.update(fields)
    data["accept" if accept else "return"] = ""
    return client.post(reverse("quarter_review", args=[indicator.pk, quarter]), data)
