"""Printing a sheet again: its body comes from the PDF cache while its content is
unchanged, and each print still says who printed it and when (reports/sheet_pdf.py)."""

import datetime
import io
import re

import pikepdf
import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from indicators.models import Role
from reports import sheet_pdf
from reports.printing.render import html_to_pdf, sheet_html
from reports.sheet import build_sheet, sheet_queryset
from tests.factories import as_user, make_indicator, make_report, make_unit, make_user
from tests.reports.test_printing import pdftotext, word_boxes

pytestmark = pytest.mark.django_db

PRINTED = re.compile(r"พิมพ์เมื่อ (\d+ \S+ \d{4} \d\d:\d\d) โดย (.+)")


@pytest.fixture(autouse=True)
def empty_cache():
    caches["pdf"].clear()


def pdf_url(indicator) -> str:
    return reverse("indicator_pdf", args=[indicator.pk])


def footers(pdf: bytes) -> list[tuple[str, str]]:
    """(date, user) of the "printed ... by ..." line on each page."""
    return [PRINTED.search(page).groups() for page in pdftotext(pdf).split("\f") if page.strip()]


def author(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return str(document.docinfo.get("/Author", ""))


def test_an_unchanged_sheet_is_rendered_once(executive_client, renders):
    indicator = make_indicator(name="การจัดเก็บขยะมูลฝอย")
    first = executive_client.get(pdf_url(indicator))
    second = executive_client.get(pdf_url(indicator))
    assert first.status_code == second.status_code == 200
    assert len(renders) == 1
    assert "การจัดเก็บขยะมูลฝอย" in pdftotext(second.content)


def test_a_changed_sheet_is_printed_anew(executive_client, renders):
    indicator = make_indicator(name="การจัดเก็บขยะมูลฝอย")
    executive_client.get(pdf_url(indicator))
    make_report(indicator, 1, result=42, narrative="ดำเนินการแล้วเสร็จตามแผนงาน")
    indicator.name = "การคัดแยกขยะต้นทาง"
    indicator.save()
    text = pdftotext(executive_client.get(pdf_url(indicator)).content)
    assert len(renders) == 2
    assert "การคัดแยกขยะต้นทาง" in text and "การจัดเก็บขยะมูลฝอย" not in text
    assert "ดำเนินการแล้วเสร็จตามแผนงาน" in text


def test_each_print_says_who_printed_it_and_when(renders):
    unit = make_unit()
    indicator = make_indicator(org_unit=unit)
    somchai = make_user(role=Role.UNIT_STAFF, units=[unit], first_name="สมชาย", last_name="ใจดี")
    somying = make_user(role=Role.EXECUTIVE, first_name="สมหญิง", last_name="ตรวจการ")
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.UTC), tick=False):
        first = as_user(somchai).get(pdf_url(indicator)).content
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 40, tzinfo=datetime.UTC), tick=False):
        second = as_user(somying).get(pdf_url(indicator)).content
    assert len(renders) == 1  # the second print's body came from the cache
    # Bangkok time (UTC+7), Buddhist Era, on every page (footers() finds it on each).
    assert set(footers(first)) == {("2 มีนาคม 2569 16:15", "สมชาย ใจดี")}
    assert set(footers(second)) == {("2 มีนาคม 2569 17:40", "สมหญิง ตรวจการ")}
    assert (author(first), author(second)) == ("สมชาย ใจดี", "สมหญิง ตรวจการ")


def test_every_page_of_a_cached_sheet_gets_the_footer(executive_client, executive, seeded, renders):
    executive_client.get(pdf_url(seeded))
    executive.first_name, executive.last_name = "ประเสริฐ", "บริหารดี"
    executive.save()
    pdf = executive_client.get(pdf_url(seeded)).content
    assert len(renders) == 1
    assert [user for _date, user in footers(pdf)] == ["ประเสริฐ บริหารดี"] * 4
    pages = pdftotext(pdf).split("\f")
    assert "หน้า 1 จาก 4" in pages[0] and "หน้า 4 จาก 4" in pages[3]


def test_the_stamped_footer_is_where_a_full_render_puts_it(executive, seeded):
    printed_at = timezone.localtime()
    with override("th"):
        sheet = build_sheet(sheet_queryset().select_related("annual_summary").get(pk=seeded.pk))
        stamped = sheet_pdf.sheet_pdf(sheet.indicator, printed_at, "ประเสริฐ บริหารดี")
        full, _pages = html_to_pdf(sheet_html(sheet, printed_at, "ประเสริฐ บริหารดี"))
    assert word_boxes(stamped, 1) == word_boxes(full, 1)


def test_the_cache_is_asked_only_after_access(renders):
    unit, other_unit = make_unit(), make_unit()
    theirs = make_indicator(org_unit=other_unit, name="ตัวชี้วัดของอีกเขตหนึ่ง")
    assert as_user(make_user(role=Role.EXECUTIVE)).get(pdf_url(theirs)).status_code == 200
    outsider = as_user(make_user(role=Role.UNIT_STAFF, units=[unit]))
    response = outsider.get(pdf_url(theirs))
    assert response.status_code == 404
    assert b"%PDF" not in response.content
    assert len(renders) == 1


def test_two_units_sheets_alike_in_all_but_the_unit_are_not_mixed_up(executive_client, renders):
    first = make_indicator(org_unit=make_unit("9101", "สำนักงานเขตบางรัก"), code="0100", name="ตัวชี้วัดเดียวกัน")
    second = make_indicator(org_unit=make_unit("9102", "สำนักงานเขตปทุมวัน"), code="0100", name="ตัวชี้วัดเดียวกัน")
    first_text = pdftotext(executive_client.get(pdf_url(first)).content)
    second_text = pdftotext(executive_client.get(pdf_url(second)).content)
    assert len(renders) == 2
    assert "9101 สำนักงานเขตบางรัก" in first_text and "ปทุมวัน" not in first_text
    assert "9102 สำนักงานเขตปทุมวัน" in second_text and "บางรัก" not in second_text


def test_a_print_goes_out_when_the_cache_cannot_keep_it(executive_client, monkeypatch, caplog):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(caches["pdf"], "set", full_disk)
    indicator = make_indicator(name="การจัดเก็บขยะมูลฝอย")
    response = executive_client.get(pdf_url(indicator))
    assert response.status_code == 200
    assert "การจัดเก็บขยะมูลฝอย" in pdftotext(response.content)
    assert "Could not keep a sheet's PDF in the cache" in caplog.text


def test_the_response_is_not_stored_nor_given_validators(executive_client):
    response = executive_client.get(pdf_url(make_indicator()))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")
