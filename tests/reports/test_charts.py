"""The sheet's chart (issue 11, item 6): axis numerals in the portal's Thai font in the
PDF, "nice" scales, whole-number ticks for counts, quarters named as on the sheet."""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import make_indicator, make_report, make_target

pytestmark = pytest.mark.django_db


def chart_of(client, indicator) -> str:
    page = client.get(reverse("indicator_detail", args=[indicator.pk])).text
    return page[page.index("<svg") : page.index("</svg>")]


def axis_labels(svg: str) -> list[str]:
    axis = svg[svg.index('<g class="axis"') : svg.index("</g>")]
    return re.findall(r'text-anchor="end">([^<]*)</text>', axis)


def indicator_with_targets(annual, targets, **fields):
    indicator = make_indicator(annual_target=Decimal(annual), **fields)
    for quarter, target in enumerate(targets, start=1):
        make_target(indicator, quarter, target)
    return indicator


def test_millions_get_an_axis_just_above_them(executive_client):
    indicator = indicator_with_targets("2800000", ["700000", "1400000", "2100000", "2800000"])
    labels = axis_labels(chart_of(executive_client, indicator))
    assert labels == ["0", "500,000", "1,000,000", "1,500,000", "2,000,000", "2,500,000", "3,000,000"]


def test_counts_get_whole_number_ticks(executive_client):
    indicator = indicator_with_targets("150", ["30", "75", "110", "150"])
    make_report(indicator, 1, "37")
    labels = axis_labels(chart_of(executive_client, indicator))
    assert labels == ["0", "25", "50", "75", "100", "125", "150"]


def test_a_small_count_is_counted_one_by_one(executive_client):
    indicator = indicator_with_targets("3", ["1", "2", "3", "3"])
    assert axis_labels(chart_of(executive_client, indicator)) == ["0", "1", "2", "3"]


def test_fractions_may_have_fractional_ticks(executive_client):
    indicator = indicator_with_targets("37.5", ["10", "20", "30", "37.5"])
    assert axis_labels(chart_of(executive_client, indicator)) == ["0", "10", "20", "30", "40"]


def test_quarters_are_named_as_on_the_sheet(executive_client):
    indicator = indicator_with_targets("100", ["25", "50", "75", "100"])
    labels = re.findall(r'font-size="11" fill="#333">([^<]*)</text>', chart_of(executive_client, indicator))
    assert labels == ["ไตรมาสที่ 1", "ไตรมาสที่ 2", "ไตรมาสที่ 3", "ไตรมาสที่ 4"]


def test_the_chart_is_drawn_in_the_portals_font(executive_client):
    svg = chart_of(executive_client, indicator_with_targets("100", ["25", "50", "75", "100"]))
    assert 'font-family="Sarabun KPI, sans-serif"' in svg


def test_the_pdf_uses_no_fallback_font(executive_client, seeded, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = executive_client.get(reverse("indicator_pdf", args=[seeded.pk]))
    data = b"".join(response.streaming_content) if response.streaming else response.content
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = [page["/Resources"]]
        for xobject in (page["/Resources"].get("/XObject") or {}).values():  # the chart's SVG
            resources.append(xobject.get_object().get("/Resources") or {})
        for resource in resources:
            fonts |= {str(font.get_object()["/BaseFont"]) for font in (resource.get("/Font") or {}).values()}
    assert fonts and {font.split("+")[-1] for font in fonts} == {"Sarabun-KPI", "Sarabun-KPI-Bold"}
