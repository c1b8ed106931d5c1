"""Whole-sheet migration (reports/migration/sheets.py, ``manage.py import_sheets``): the
old system's sheets and the whole-sheet layout imported, checked on the page and in the
PDF's text layer; the seed's text imports as the sheet ``seed_demo`` builds; export then
import reproduces every sheet."""

import io
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from indicators.models import FiscalQuarter, FiscalYear, Indicator, Role, UnitOfMeasure
from reports.migration import sheets
from reports.models import AnnualSummary, AuditScore, QuarterReport
from tests.factories import make_fiscal_year, make_strategy_path, make_unit, make_user
from tests.reports.test_printing import body_text, pdftotext

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "data"
SEED = DATA / "seed_sheet_000_2dc794069d1136f5.txt"
VARIANTS = DATA / "old_sheets"


class TextOnly(HTMLParser):
    """A page's visible text, one run of words per line (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(" ".join(data.split()))


def page_text(client, indicator) -> str:
    response = client.get(reverse("indicator_detail", args=[indicator.pk]))
    assert response.status_code == 200
    parser = TextOnly()
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


def pdf_text(client, indicator) -> str:
    response = client.get(reverse("indicator_pdf", args=[indicator.pk]))
    assert response.status_code == 200
    text = body_text(pdftotext(response.content))
    return re.sub(r"\s+", " ", text).strip()


def the_indicator() -> Indicator:
    return Indicator.objects.get()


# --- the old system's text ----------------------------------------------------------------


def test_the_seed_text_imports_as_the_sheet_seed_demo_builds(executive_client, seeded):
    built_page, built_pdf = page_text(executive_client, seeded), pdf_text(executive_client, seeded)
    seeded.delete()
    call_command("import_sheets", str(SEED), "--fiscal-year", "2560", stdout=io.StringIO())
    imported = the_indicator()
    assert page_text(executive_client, imported) == built_page
    assert pdf_text(executive_client, imported) == built_pdf
    reports = QuarterReport.objects.filter(indicator=imported)
    assert {(r.status, r.is_migrated, r.submitted_by, r.reviewed_by) for r in reports} == {
        ("accepted", True, None, None)
    }
    assert all(period.is_locked for period in FiscalQuarter.objects.filter(fiscal_year__year=2560))
    record = imported.history.get()
    assert (record.history_user, record.history_change_reason) == (None, f"import sheets {SEED.name}")


def test_variants_of_the_old_layout_import(executive_client):
    make_fiscal_year(2561)
    make_unit("5016", "สำนักงานเขตธนบุรี")
    for code in ("0200", "0201", "5001"):
        make_unit(code, f"หน่วยงาน {code}")
    unknown_type = str(VARIANTS / "summary_projects_data_sets_q4.txt")
    files = sorted(str(path) for path in VARIANTS.glob("*.txt") if not path.name.startswith("seed_"))
    files.remove(unknown_type)
    out, errors = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_sheets", *files, unknown_type, "--fiscal-year", "2561", stderr=errors)
    assert "summary_projects_data_sets_q4.txt: row 6, column indicator_type" in errors.getvalue()
    assert not Indicator.objects.exists()
    try:
        call_command("import_sheets", *files, "--fiscal-year", "2561", "--add-new-units", stdout=out)
    except CommandError as error:
        pytest.fail(f"{error}: {out.getvalue()}")
    assert Indicator.objects.count() == len(files)
    for indicator in Indicator.objects.all():
        page_text(executive_client, indicator)  # every sheet shows


def test_an_unreadable_old_sheet_is_reported_by_section_and_nothing_is_imported(tmp_path):
    make_fiscal_year(2560)
    make_unit("5016", "สำนักงานเขตธนบุรี")
    broken = tmp_path / "broken.txt"
    broken.write_text(SEED.read_text(encoding="utf-8").replace("ค่าเป้าหมาย", "เป้า"), encoding="utf-8")
    with pytest.raises(CommandError, match="broken.txt: “ค่าเป้าหมาย”"):
        call_command("import_sheets", str(SEED), str(broken), "--fiscal-year", "2560")
    assert not Indicator.objects.exists()


def test_the_criteria_labels_of_an_old_sheet_become_its_years(executive_client, tmp_path):
    make_fiscal_year(2560)
    make_unit("5016", "สำนักงานเขตธนบุรี")
    sheet = tmp_path / "labels.txt"
    sheet.write_text(SEED.read_text(encoding="utf-8").replace("(* 2.1 / 2.2 *)", "(* 3.1 / 3.2 *)"), "utf-8")
    call_command("import_sheets", str(sheet), "--fiscal-year", "2560", stdout=io.StringIO())
    year = FiscalYear.objects.get(year=2560)
    assert (year.criterion_1_label, year.criterion_2_label) == ("3.1", "3.2")
    assert year.history.latest().history_change_reason == "import sheets labels.txt"
    assert "3.1 / 3.2" in page_text(executive_client, the_indicator())


def test_sheets_of_one_year_disagreeing_on_the_criteria_import_nothing(tmp_path):
    make_fiscal_year(2560)
    make_unit("5016", "สำนักงานเขตธนบุรี")
    other = tmp_path / "other.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("(* 2.1 / 2.2 *)", "(* 3.1 / 3.2 *)"), "utf-8")
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_sheets", str(SEED), str(other), "--fiscal-year", "2560", stderr=errors)
    assert "other.txt: row 3, column criteria" in errors.getvalue()
    assert not Indicator.objects.exists()


# --- the whole-sheet layout: the shapes of real data -------------------------------------

LONG_NAME = "(New) " + "ร้อยละของครัวเรือนในชุมชนริมคลองที่ได้รับการพัฒนาคุณภาพชีวิต " * 5  # > 200 characters
ODD_MARKS = "ร้อยละความสำเร็จของการบริหารจัดการขยะที่เพิ่มขึน้ตามเป้าหมายที่กําหนด"  # marks out of order, SARA AM


def shape_rows():
    base = {"fiscal_year": 2567, "unit_code": "5016", "indicator_type": "routine", "is_cumulative": "ใช่"}
    return [
        base
        | {
            "indicator_code": "0101",
            "sequence": 1,
            "name": LONG_NAME.strip(),
            "annual_target": "50",
            "unit_of_measure": "ตัน",
            "result_q1": "20.00",
            "result_q2": "35.00",
            "result_q3": "30.00",  # cumulative results go down as well as up
            "result_q4": "42.50",
            "narrative_q1": "ไตรมาสแรก",
            "narrative_q3": "ปริมาณลดลงเพราะน้ำท่วม",
            "score_q1": "100.0000",  # four decimals, as the old system prints them
            "criterion_1_q1": "100",
            "criterion_2_q1": "100",
            "score_q2": "0.0000",
            "criterion_1_q3": "80",  # criteria without a score
            "criterion_2_q3": "70",
            "score_q4": "90.5",  # a score without criteria
            "verified_q3": "ใช่",  # verification in quarter 3
            "summary": "สรุปผลทั้งปี",
            "projects": "โครงการคัดแยกขยะ | 150000.00\nกิจกรรมรณรงค์",
            "data_sets": "D05 จำนวนจุดเสี่ยงอาชญากรรม",
        },
        base
        | {
            "indicator_code": "0102",
            "sequence": 2,
            "name": ODD_MARKS,
            "annual_target": "1.00",
            "unit_of_measure": "ลำ",
            "result_q4": "4.75",  # far above a small target (in a unit of whole things, as reported)
            "narrative_q4": "ร้อยละ 475 ของเป้าหมาย",
            "verified_q4": "yes",
        },
    ]


def xlsx_of(rows) -> bytes:
    keys = list(dict.fromkeys(key for row in rows for key in row))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(keys)
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def shapes_world():
    make_fiscal_year(2567)
    make_unit("5016", "สำนักงานเขตธนบุรี")
    UnitOfMeasure.objects.create(name="ลำ", whole_numbers=True)


def import_shapes(rows=None, **options):
    return sheets.import_sheets(io.BytesIO(xlsx_of(rows or shape_rows())), "shapes.xlsx", **options)


def test_the_shapes_of_real_data_import_and_show_on_the_page_and_in_the_pdf(executive_client, shapes_world):
    result = import_shapes(add_new_units=True)
    assert result.ok, result.errors
    first = Indicator.objects.get(code="0101")
    assert first.name == LONG_NAME.strip() and len(first.name) > 200
    assert first.unit_of_measure_id == "ตัน"
    results = list(QuarterReport.objects.filter(indicator=first).values_list("quarter", "result"))
    assert results == [(1, Decimal(20)), (2, Decimal(35)), (3, Decimal(30)), (4, Decimal("42.50"))]
    scores = {
        s.quarter: (s.score, s.criterion_1, s.criterion_2, s.is_verification) for s in first.scores.all()
    }
    assert scores == {
        1: (Decimal(100), Decimal(100), Decimal(100), False),
        2: (Decimal(0), None, None, False),
        3: (None, Decimal(80), Decimal(70), True),
        4: (Decimal("90.50"), None, None, False),
    }
    assert [(p.name, p.budget) for p in first.projects.all()] == [
        ("โครงการคัดแยกขยะ", Decimal(150000)),
        ("กิจกรรมรณรงค์", None),
    ]
    assert [s.code for s in first.city_data_sets.all()] == ["D05"]
    assert AnnualSummary.objects.get(indicator=first).text == "สรุปผลทั้งปี"
    second = Indicator.objects.get(code="0102")
    assert second.name == ODD_MARKS
    assert QuarterReport.objects.get(indicator=second).result == Decimal("4.75")
    assert AuditScore.objects.get(indicator=second).is_verification
    for indicator, expected in (
        (first, ["42.50", "30.00", "ปริมาณลดลงเพราะน้ำท่วม", "สรุปผลทั้งปี", "โครงการคัดแยกขยะ", "ตัน"]),
        (second, ["4.75", "ร้อยละ 475 ของเป้าหมาย", "ลำ"]),
    ):
        page = page_text(executive_client, indicator)
        pdf = pdf_text(executive_client, indicator)
        assert " ".join(indicator.name.split()) in " ".join(page.split())
        for text in expected:
            assert text in page, text
            assert text in pdf, text
    # No person was invented: the reports have no user anywhere.
    assert not QuarterReport.objects.exclude(submitted_by=None).exists()


def test_a_closed_year_arrives_accepted_and_locked(shapes_world):
    rows = shape_rows()
    rows[0]["status_q2"] = "ส่งแล้ว"
    import_shapes(rows, add_new_units=True)
    assert set(QuarterReport.objects.values_list("status", flat=True)) == {"accepted"}
    assert FiscalQuarter.objects.filter(fiscal_year__year=2567, locked_at__isnull=False).count() == 4


def test_errors_are_listed_by_row_and_column_and_nothing_is_written(shapes_world):
    rows = shape_rows()
    rows[0] |= {"score_q1": "120", "verified_q1": "ใช่"}  # two verifications, a score above 100
    rows[1] |= {"status_q4": "maybe", "result_q2": "ห้า"}
    result = import_shapes(rows)
    found = [(error.row, error.column) for error in result.errors]
    assert (2, "score_q1") in found and (2, "verified_q3") in found
    assert (2, "unit_of_measure") in found  # ตัน is not in the table yet
    assert (3, "status_q4") in found and (3, "result_q2") in found
    assert not Indicator.objects.exists() and not QuarterReport.objects.exists()


def test_importing_again_updates_the_sheet(shapes_world):
    import_shapes(add_new_units=True)
    rows = shape_rows()
    rows[0] |= {"narrative_q1": "แก้ไขแล้ว", "projects": "กิจกรรมรณรงค์", "verified_q3": "", "verified_q1": "ใช่"}
    result = import_shapes(rows, add_new_units=True)
    assert result.ok, result.errors
    first = Indicator.objects.get(code="0101")
    report = QuarterReport.objects.get(indicator=first, quarter=1)
    assert (report.narrative, report.version) == ("แก้ไขแล้ว", 2)
    assert [p.name for p in first.projects.all()] == ["กิจกรรมรณรงค์"]
    assert [s.quarter for s in first.scores.filter(is_verification=True)] == [1]
    assert Indicator.objects.count() == 2


def test_a_dry_run_writes_nothing(shapes_world):
    result = import_shapes(add_new_units=True, dry_run=True)
    assert result.ok and result.dry_run
    assert not Indicator.objects.exists() and not UnitOfMeasure.objects.filter(name="ตัน").exists()


# --- export -> import ------------------------------------------------------------------------


def sheet_state():
    """Every part of every sheet, as comparable values."""
    state = []
    for indicator in Indicator.objects.order_by("fiscal_year__year", "org_unit__code", "code"):
        summary = AnnualSummary.objects.filter(indicator=indicator).values_list("text", flat=True).first()
        state.append(
            (
                indicator.fiscal_year.year,
                indicator.org_unit.code,
                indicator.code,
                indicator.name,
                indicator.unit_of_measure_id,
                indicator.annual_target,
                indicator.strategy_node.code if indicator.strategy_node else None,
                list(indicator.targets.values_list("quarter", "target")),
                list(indicator.reports.values_list("quarter", "result", "narrative", "status")),
                list(
                    indicator.scores.values_list(
                        "quarter", "score", "criterion_1", "criterion_2", "is_verification"
                    )
                ),
                summary or "",
                list(indicator.projects.values_list("name", "budget")),
                sorted(indicator.city_data_sets.values_list("code", "name")),
            )
        )
    return state


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_reproduces_every_sheet(shapes_world, seeded, fmt):
    make_strategy_path(("7", "7.3", "7.3.1", "7.3.1.1"))
    import_shapes(add_new_units=True)
    before = sheet_state()
    exported = sheets.export_sheets(Indicator.objects.all(), fmt)
    for indicator in Indicator.objects.all():
        indicator.delete()
    result = sheets.import_sheets(io.BytesIO(exported), f"sheets.{fmt}")
    assert result.ok, result.errors
    assert sheet_state() == before
    assert table_of(sheets.export_sheets(Indicator.objects.all(), fmt), fmt) == table_of(exported, fmt)


def table_of(content: bytes, fmt: str):
    """A file's cells (an .xlsx's bytes hold the time it was written)."""
    if fmt == "csv":
        return content.decode("utf-8-sig")
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


# --- the admin pages ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def test_the_admin_imports_whole_sheets_and_lists_errors(admin_client, shapes_world):
    url = reverse("admin:indicators_indicator_import_sheets")
    assert url in admin_client.get(reverse("admin:indicators_indicator_changelist")).text
    response = admin_client.post(url, {"file": SimpleUploadedFile("s.xlsx", xlsx_of(shape_rows()))})
    assert [(e.row, e.column) for e, label in response.context["errors"]] == [(2, "unit_of_measure")]
    assert "?name=%E0%B8%95%E0%B8%B1%E0%B8%99" in response.text  # the button adding ตัน
    assert not Indicator.objects.exists()
    data = {"file": SimpleUploadedFile("s.xlsx", xlsx_of(shape_rows())), "add_new_units": "on"}
    response = admin_client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:indicators_indicator_changelist")
    assert Indicator.objects.count() == 2
    assert QuarterReport.history.filter(history_change_reason="import sheets s.xlsx").count() == 5


def test_the_admin_gives_the_template_and_exports_sheets(admin_client, shapes_world):
    template = admin_client.get(reverse("admin:indicators_indicator_sheets_template_xlsx"))
    header = next(openpyxl.load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert header[:3] == ("fiscal_year", "unit_code", "unit_name")
    assert {"narrative_q1", "verified_q4", "summary", "projects", "data_sets"} <= set(header)
    import_shapes(add_new_units=True)
    ids = [str(pk) for pk in Indicator.objects.values_list("pk", flat=True)]
    response = admin_client.post(
        reverse("admin:indicators_indicator_changelist"),
        {"action": "export_sheets", "_selected_action": ids},
    )
    assert response["Content-Disposition"] == 'attachment; filename="sheets.xlsx"'
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and "ปริมาณลดลงเพราะน้ำท่วม" in rows[2]
