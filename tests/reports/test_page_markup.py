"""Markup the browser tests rely on, checked without a browser: the chart's figures as a
table for screen readers, table headers that break between words only, the navigation
that collapses on a phone with no inline script."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from tests.factories import as_user, make_report, make_target

pytestmark = pytest.mark.django_db


def test_the_chart_has_its_figures_as_a_hidden_table(setup):
    indicator = setup["indicator"]
    make_target(indicator, 1, "20")
    make_target(indicator, 2, "45.5")
    make_report(indicator, 1, "25", status="accepted")
    page = as_user(setup["staff"]).get(reverse("indicator_detail", args=[indicator.pk])).content.decode()
    table = re.search(r'<table class="visually-hidden" id="chart-figures">(.*?)</table>', page, re.S).group(1)
    cells = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    assert cells == [
        ["ไตรมาสที่", "เป้าหมายสะสม", "ผลงาน"],
        ["1", "20.00", "25.00"],
        ["2", "45.50", "–"],
        ["3", "–", "–"],
        ["4", "–", "–"],
    ]
    assert "<caption>เป้าหมายสะสมและผลงานรายไตรมาส (ร้อยละ)</caption>" in table


@pytest.mark.parametrize(
    "text, html",
    [
        ("ผลประเมินตัวชี้วัด", '<span class="keep-word">ผลประเมิน</span><span class="keep-word">ตัวชี้วัด</span>'),
        ("เป้าหมายสะสม", '<span class="keep-word">เป้าหมาย</span>สะสม'),
        (
            "เป้าหมายรายไตรมาส",
            '<span class="keep-word">เป้าหมาย</span><span class="keep-word">รายไตรมาส</span>',
        ),
        ("Result <b>", "Result &lt;b&gt;"),
    ],
)
def test_headers_keep_compound_words_whole(text, html):
    assert Template("{{ text|keep_words }}").render(Context({"text": text})) == html


def test_the_sheet_headers_keep_words_whole(setup):
    page = (
        as_user(setup["staff"])
        .get(reverse("indicator_detail", args=[setup["indicator"].pk]))
        .content.decode()
    )
    assert (
        '<th colspan="2"><span class="keep-word">ผลประเมิน</span><span class="keep-word">ตัวชี้วัด</span></th>'
        in page
    )


def test_the_navigation_collapses_with_bootstraps_own_script(setup):
    page = as_user(setup["staff"]).get(reverse("home")).content.decode()
    assert re.search(
        r'<button class="navbar-toggler"[^>]*data-bs-target="#main-nav"[^>]*aria-label="เมนู"', page
    )
    assert '<div class="collapse navbar-collapse" id="main-nav">' in page
    assert re.search(r'<script src="/static/vendor/bootstrap/bootstrap\.bundle[^"]*\.js" defer>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script: the CSP forbids it"
