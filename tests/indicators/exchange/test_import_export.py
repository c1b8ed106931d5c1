"""Import of indicators and quarter targets from .xlsx / .csv, and export of the list."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from indicators.exchange import columns, load, read, write
from indicators.models import Indicator, QuarterTarget, Role
from reports import export
from reports.models import QuarterReport
from tests.factories import (
    make_fiscal_year,
    make_indicator,
    make_report,
    make_score,
    make_strategy_path,
    make_target,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

KEYS = [column.key for column in columns.IMPORT_COLUMNS]
BEST_SERVICE = "ร้อยละความสำเร็จของการดำเนินโครงการให้บริการที่ดีที่สุด (Best Service)"
# The seed's artefacts (a line cut mid-word, marks out of order), SARA AM and line breaks.
DEFINITION = "ความสำเร็จของโครงการ\nหมายถึง การดำเนินการแล้วเสร็จเชื่%\nจำนวนผู้ใช้บริการเพิ่มขึน้"


def make_registry():
    """The fiscal years, units and strategy codes that the good rows name."""
    make_fiscal_year(2567)
    make_fiscal_year(2568, criterion_1_label="ก", criterion_2_label="ข")
    make_unit("5016", "สำนักงานเขตธนบุรี")
    make_unit("0200", "สำนักอนามัย")
    make_strategy_path(("7", "7.3", "7.3.1", "7.3.1.1"))


@pytest.fixture
def registry():
    make_registry()


def good_rows():
    """Three Thai rows, as an administrator would fill in the template."""
    return [
        {
            "fiscal_year": 2568,
            "unit_code": "5016",
            "indicator_code": "0685",
            "sequence": 26,
            "agreement_ref": "3.2",
            "name": BEST_SERVICE,
            "annual_target": 100,
            "unit_of_measure": "ร้อยละ",
            "indicator_type": "ตัวชี้วัดงานประจำ",
            "result_level": "output",
            "direction": "",
            "is_cumulative": "ใช่",
            "definition": DEFINITION,
            "calculation_method": "(จำนวนโครงการที่แล้วเสร็จ / จำนวนโครงการทั้งหมด) x 100",
            "data_source": "รายงานผลการดำเนินงานของสำนักงานเขต",
            "strategy_code": "๗.๓.๑.๑",
            "target_q1": 25,
            "target_q2": 50,
            "target_q3": "75.50",
            "target_q4": 100,
        },
        {
            "fiscal_year": "2568",
            "unit_code": "0200",
            "indicator_code": "0100",
            "sequence": "1",
            "name": "จำนวนเรื่องร้องเรียนด้านสาธารณสุขลดลง",
            "annual_target": "1,250.5",
            "unit_of_measure": "count",
            "indicator_type": "strategic",
            "direction": "ค่าน้อยดี",
            "is_cumulative": "no",
            "target_q1": 300,
            "target_q2": 300,
            "target_q3": 300,
            "target_q4": 350.5,
        },
        {
            "fiscal_year": "๒๕๖๘",
            "unit_code": "5016",
            "indicator_code": "0686",
            "sequence": 27,
            "name": "ระดับความสำเร็จของการจัดเก็บภาษี",
            "annual_target": 5,
            "unit_of_measure": "level",
            "indicator_type": "mission",
        },
    ]


def cells(rows, keys):
    return [[row.get(key) for key in keys] for row in rows]


def xlsx_bytes(rows, keys=KEYS, labels=True, values=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(keys)
    if labels:
        sheet.append([columns.BY_KEY[key].heading() if key in columns.BY_KEY else key for key in keys])
    for row in values if values is not None else cells(rows, keys):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, keys=KEYS, labels=False, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(keys)
    if labels:
        writer.writerow([columns.BY_KEY[key].heading() for key in keys])
    for row in cells(rows, keys):
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode(encoding)


def run_import(data, name="indicators.xlsx", **kwargs):
    return load.import_file(io.BytesIO(data), name, **kwargs)


# The indicator fields an import sets under their own names, written out here.
PLAIN_FIELDS = [
    "sequence",
    "agreement_ref",
    "name",
    "annual_target",
    "unit_of_measure",
    "indicator_type",
    "result_level",
    "direction",
    "is_cumulative",
    "definition",
    "calculation_method",
    "data_source",
]


def registry_state():
    """The indicators and their targets, as comparable values (no keys, no timestamps)."""
    fields = ["fiscal_year__year", "org_unit__code", "code", *PLAIN_FIELDS, "strategy_node__code"]
    indicators = list(
        Indicator.objects.order_by("fiscal_year__year", "org_unit__code", "code").values(*fields)
    )
    targets = list(
        QuarterTarget.objects.order_by(
            "indicator__fiscal_year__year", "indicator__org_unit__code", "indicator__code", "quarter"
        ).values_list("indicator__org_unit__code", "indicator__code", "quarter", "target")
    )
    return indicators, targets


def nothing_written():
    return (
        Indicator.objects.count() == 0
        and QuarterTarget.objects.count() == 0
        and Indicator.history.count() == 0
        and QuarterTarget.history.count() == 0
    )


# --- the template --------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def test_the_blank_xlsx_template_has_keys_thai_labels_and_instructions(admin_client):
    response = admin_client.get(reverse("indicator_import_template_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == write.XLSX_TYPE
    assert 'filename="indicators-template.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == KEYS
    assert rows[1][:4] == ("ปีงบประมาณ (พ.ศ.)", "รหัสหน่วยงาน", "ชื่อหน่วยงาน", "รหัสตัวชี้วัด")
    assert rows[1][KEYS.index("target_q3")] == "เป้าหมายไตรมาสที่ 3"
    assert len(rows) == 2
    instructions = [row[0] for row in workbook.worksheets[1].iter_rows(values_only=True)]
    assert set(KEYS) <= set(instructions)


def test_the_blank_csv_template_has_a_bom_and_thai_labels(admin_client):
    response = admin_client.get(reverse("indicator_import_template_csv"))
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == KEYS and rows[1][0] == "ปีงบประมาณ (พ.ศ.)"


def test_the_empty_template_imports_as_no_rows(registry):
    with pytest.raises(read.ImportFileError, match="ไม่มีแถวข้อมูล"):
        run_import(write.template_file("xlsx"))


# --- import: good files ----------------------------------------------------------------


def check_good_rows_imported():
    best = Indicator.objects.get(fiscal_year__year=2568, org_unit__code="5016", code="0685")
    assert best.name == BEST_SERVICE
    assert best.definition == DEFINITION
    assert best.sequence == 26 and best.agreement_ref == "3.2"
    assert best.annual_target == Decimal(100)
    assert best.unit_of_measure_id == "ร้อยละ"
    assert best.indicator_type == Indicator.Type.ROUTINE
    assert best.result_level == Indicator.ResultLevel.OUTPUT
    assert best.direction == Indicator.Direction.HIGHER_IS_BETTER
    assert best.is_cumulative is True
    assert best.strategy_node.code == "7.3.1.1"
    assert [(t.quarter, t.target) for t in best.targets.order_by("quarter")] == [
        (1, Decimal(25)),
        (2, Decimal(50)),
        (3, Decimal("75.50")),
        (4, Decimal(100)),
    ]
    complaints = Indicator.objects.get(org_unit__code="0200", code="0100")
    assert complaints.annual_target == Decimal("1250.50")
    assert complaints.unit_of_measure_id == "จำนวน" and complaints.indicator_type == "strategic"
    assert complaints.direction == "lower" and complaints.is_cumulative is False
    assert complaints.strategy_node is None and complaints.result_level == ""
    assert complaints.targets.get(quarter=4).target == Decimal("350.50")
    level = Indicator.objects.get(code="0686")
    assert level.fiscal_year.year == 2568 and level.targets.count() == 0


def test_import_of_a_good_xlsx_file(registry):
    user = make_user("importer", Role.ADMINISTRATOR)
    result = run_import(xlsx_bytes(good_rows()), user=user)
    assert result.ok, result.errors
    assert (result.rows, result.created, result.updated, result.targets_created) == (3, 3, 0, 8)
    check_good_rows_imported()
    # Bulk writes keep their history, with who imported.
    assert Indicator.history.filter(history_type="+", history_user=user).count() == 3
    assert QuarterTarget.history.filter(history_type="+", history_user=user).count() == 8


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp874"])
def test_import_of_a_good_csv_file(registry, encoding):
    result = run_import(csv_bytes(good_rows(), labels=True, encoding=encoding), "indicators.csv")
    assert result.ok, result.errors
    assert result.created == 3
    check_good_rows_imported()


def test_without_the_label_row_and_in_any_column_order(registry):
    keys = list(reversed(KEYS))
    result = run_import(xlsx_bytes(good_rows(), keys=keys, labels=False))
    assert result.ok, result.errors
    check_good_rows_imported()


def test_thai_labels_are_accepted_as_column_headers(registry):
    keys = [columns.BY_KEY[key].heading() for key in KEYS]
    rows = [{label: row.get(key) for key, label in zip(KEYS, keys, strict=True)} for row in good_rows()]
    result = run_import(csv_bytes(rows, keys=keys), "indicators.csv")
    assert result.ok, result.errors
    check_good_rows_imported()


def test_excel_number_cells_become_exact_decimals(registry):
    row = good_rows()[0]
    row |= {
        "annual_target": 0.1 + 0.2,
        "target_q1": 12.345000000000001,
        "sequence": 26.0,
        "fiscal_year": 2568.0,
    }
    result = run_import(xlsx_bytes([row]))
    assert result.errors[0].column == "target_q1"  # 12.345 has three places, it is not noise
    row["target_q1"] = 12.340000000000002
    result = run_import(xlsx_bytes([row]))
    assert result.ok, result.errors
    indicator = Indicator.objects.get()
    assert indicator.annual_target == Decimal("0.30")
    assert indicator.targets.get(quarter=1).target == Decimal("12.34")


# --- import: bad rows ------------------------------------------------------------------


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_error(registry):
    rows = good_rows()
    rows[0] |= {"annual_target": "-5", "unit_of_measure": "กิโลกรัม", "target_q2": "ห้าสิบ"}
    rows[1] |= {"unit_code": "9999", "sequence": "0", "strategy_code": "9.9"}
    rows[2] |= {"fiscal_year": 2025, "name": "", "agreement_ref": "x" * 21, "is_cumulative": "บางที"}
    rows.append(good_rows()[0])  # the same indicator as row 3: a duplicate key
    result = run_import(xlsx_bytes(rows))
    letter = {key: openpyxl.utils.get_column_letter(index) for index, key in enumerate(KEYS, 1)}
    found = [(error.row, error.column, error.letter) for error in result.errors]
    assert found == [
        (3, "annual_target", letter["annual_target"]),
        (3, "unit_of_measure", letter["unit_of_measure"]),
        (3, "target_q2", letter["target_q2"]),
        (4, "unit_code", letter["unit_code"]),
        (4, "sequence", letter["sequence"]),
        (4, "strategy_code", letter["strategy_code"]),
        (5, "fiscal_year", letter["fiscal_year"]),
        (5, "agreement_ref", letter["agreement_ref"]),
        (5, "name", letter["name"]),
        (5, "is_cumulative", letter["is_cumulative"]),
        (6, "indicator_code", letter["indicator_code"]),
    ]
    messages = [error.message for error in result.errors]
    assert messages[0] == "ตัวเลขต้องไม่ติดลบ"
    assert messages[1].startswith("หน่วยนับ กิโลกรัม ยังไม่มีในตาราง")
    assert messages[2] == "กรุณากรอกตัวเลข เช่น 75 หรือ 75.50"
    assert messages[3] == "ไม่มีหน่วยงานรหัส 9999 ในระบบ กรุณาเพิ่มก่อน (ผู้ดูแลระบบ › หน่วยงาน)"
    assert messages[4] == "กรุณากรอกจำนวนเต็มตั้งแต่ 1 ถึง 32767"
    assert messages[5] == "ไม่มีรหัสยุทธศาสตร์ 9.9 ในแผนยุทธศาสตร์"
    assert messages[6] == "กรุณากรอกปี พ.ศ. เช่น 2568"
    assert messages[7] == "ยาวได้ไม่เกิน 20 ตัวอักษร (ช่องนี้มี 21 ตัวอักษร)"
    assert messages[8] == "ต้องกรอกช่องนี้"
    assert messages[9] == "กรุณากรอก ใช่ หรือ ไม่ใช่"
    assert messages[10] == "ตัวชี้วัดเดียวกัน (ปี 2568 รหัส 5016-0685) มีอยู่แล้วในแถวที่ 3"
    assert str(result.errors[0]) == f"row 3, column annual_target ({letter['annual_target']}): ตัวเลขต้องไม่ติดลบ"
    assert nothing_written()


def test_unknown_fiscal_years_are_errors_not_created(registry):
    rows = good_rows()[:1]
    rows[0]["fiscal_year"] = 2590
    result = run_import(csv_bytes(rows), "indicators.csv")
    assert [(e.row, e.column) for e in result.errors] == [(2, "fiscal_year")]
    assert "ไม่มีปีงบประมาณ 2590" in result.errors[0].message
    assert nothing_written()


def test_header_problems_are_reported_on_row_1(registry):
    keys = [key for key in KEYS if key != "annual_target"] + ["remarks", "name"]
    rows = [dict(row, remarks="ดูหมายเหตุ") for row in good_rows()]
    result = run_import(xlsx_bytes(rows, keys=keys, labels=False))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (1, "annual_target", "ไม่มีคอลัมน์นี้ ซึ่งจำเป็นต้องมี"),
        (1, "remarks", "ไม่รู้จักคอลัมน์นี้ กรุณาแก้ไขชื่อหรือลบคอลัมน์ออก"),
        (1, "name", "คอลัมน์นี้ซ้ำกัน (มีอยู่แล้วในคอลัมน์ G)"),
    ]
    assert nothing_written()


def test_unreadable_files_say_why(registry):
    with pytest.raises(read.ImportFileError, match=r"\.xlsx"):
        run_import(b"not a workbook", "indicators.xlsx")
    with pytest.raises(read.ImportFileError, match=r"\.xlsx หรือ \.csv"):
        run_import(b"", "indicators.xls")
    with pytest.raises(read.ImportFileError, match="ว่างเปล่า"):
        run_import(b"\xef\xbb\xbf\r\n", "indicators.csv")


def test_a_date_made_by_excel_is_explained(registry):
    row = good_rows()[0]
    row["agreement_ref"] = datetime.datetime(2025, 2, 3)
    result = run_import(xlsx_bytes([row]))
    assert result.errors[0].column == "agreement_ref"
    assert "วันที่" in result.errors[0].message


# --- re-import ---------------------------------------------------------------------------


def test_importing_again_updates_instead_of_duplicating(registry):
    first = make_user("first", Role.ADMINISTRATOR)
    second = make_user("second", Role.ADMINISTRATOR)
    run_import(xlsx_bytes(good_rows()), user=first)
    ids = set(Indicator.objects.values_list("pk", flat=True))
    rows = good_rows()
    rows[0] |= {"name": BEST_SERVICE + " ฉบับปรับปรุง", "target_q2": 55, "target_q4": ""}
    result = run_import(xlsx_bytes(rows), user=second)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert (result.targets_created, result.targets_updated, result.targets_deleted) == (0, 1, 1)
    assert set(Indicator.objects.values_list("pk", flat=True)) == ids
    best = Indicator.objects.get(code="0685")
    assert best.name.endswith("ฉบับปรับปรุง")
    assert dict(best.targets.values_list("quarter", "target")) == {1: 25, 2: 55, 3: Decimal("75.50")}
    # Who changed which target, from what to what, when.
    changed = QuarterTarget.history.filter(history_type="~").get()
    assert (changed.history_user, changed.quarter, changed.target) == (second, 2, Decimal(55))
    assert changed.prev_record.target == Decimal(50)
    removed = QuarterTarget.history.filter(history_type="-").get()
    assert (removed.history_user, removed.quarter, removed.target) == (second, 4, Decimal(100))
    assert Indicator.history.filter(history_type="~", history_user=second).count() == 1


def test_importing_the_same_file_again_changes_nothing(registry):
    data = xlsx_bytes(good_rows())
    run_import(data)
    before = registry_state(), Indicator.history.count(), QuarterTarget.history.count()
    result = run_import(data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert (result.targets_created, result.targets_updated, result.targets_deleted) == (0, 0, 0)
    assert (registry_state(), Indicator.history.count(), QuarterTarget.history.count()) == before


def test_columns_left_out_are_left_alone(registry):
    run_import(xlsx_bytes(good_rows()))
    keys = ["fiscal_year", "unit_code", "indicator_code", "sequence", "name", "annual_target"]
    keys += ["unit_of_measure", "indicator_type"]
    result = run_import(xlsx_bytes(good_rows(), keys=keys))
    assert result.ok and result.unchanged == 3
    assert Indicator.objects.get(code="0685").definition == DEFINITION
    assert QuarterTarget.objects.count() == 8


# --- export ------------------------------------------------------------------------------


@pytest.fixture
def reported(registry):
    """The good rows imported, with results, statuses and scores."""
    run_import(xlsx_bytes(good_rows()))
    best = Indicator.objects.get(code="0685")
    make_report(best, 1, "30", "ไตรมาส 1", status=QuarterReport.Status.ACCEPTED)
    make_report(best, 2, "60.25", "ไตรมาส 2", status=QuarterReport.Status.SUBMITTED)
    make_score(best, 1, score="100", criterion_1="90", criterion_2="80", is_verification=True)
    return best


def read_export(response, fmt):
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [
        ["" if v is None else v for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("fmt", write.FORMATS)
def test_export_has_the_registry_results_scores_and_statuses(executive_client, reported, fmt):
    response = executive_client.get(reverse(f"indicator_export_{fmt}"), {"year": "2568"})
    assert response.status_code == 200
    assert f'filename="indicators-2568.{fmt}"' in response["Content-Disposition"]
    rows = read_export(response, fmt)
    header, labels = rows[0], rows[1]
    assert header == [column.key for column in export.COLUMNS]
    assert labels[header.index("criterion_1_q1")] == "เกณฑ์ ก ไตรมาสที่ 1"  # the year's own labels
    best = dict(
        zip(header, next(row for row in rows if row[header.index("indicator_code")] == "0685"), strict=True)
    )
    assert best["name"] == BEST_SERVICE and best["definition"] == DEFINITION
    assert best["unit_name"] == "สำนักงานเขตธนบุรี"
    assert best["unit_of_measure"] == "ร้อยละ" and best["is_cumulative"] == "ใช่"
    assert str(best["result_q2"]) == "60.25" and best["result_q3"] == ""
    assert best["status_q1"] == "ผ่านการตรวจ" and best["status_q2"] == "ส่งแล้ว" and best["status_q3"] == ""
    assert float(best["score_q1"]) == 100 and float(best["criterion_2_q1"]) == 80 and best["score_q2"] == ""
    assert len(rows) == 2 + 3


@pytest.mark.parametrize("fmt", write.FORMATS)
def test_export_then_import_into_an_empty_registry_round_trips(executive_client, reported, fmt):
    make_indicator(make_fiscal_year(2567), make_unit("0300", "สำนักการโยธา"), name="ตัวชี้วัด 'ปีก่อน' = \"เดิม\"")
    before = registry_state()
    response = executive_client.get(reverse(f"indicator_export_{fmt}"))
    assert len(read_export(response, fmt)) == 2 + 4
    Indicator.objects.all().delete()
    assert Indicator.objects.count() == 0
    result = run_import(response.content, f"export.{fmt}")
    assert result.ok, result.errors
    assert result.created == 4
    assert registry_state() == before


def test_export_applies_the_list_filters_and_the_users_units(client, reported):
    other = Indicator.objects.get(code="0100")
    staff = make_user("staff", Role.UNIT_STAFF, units=[reported.org_unit])
    client.force_login(staff)
    rows = read_export(client.get(reverse("indicator_export_csv")), "csv")
    assert sorted(row[3] for row in rows[2:]) == ["0685", "0686"]
    rows = read_export(client.get(reverse("indicator_export_csv"), {"q": "ภาษี"}), "csv")
    assert [row[3] for row in rows[2:]] == ["0686"]
    client.force_login(make_user("exec2", Role.EXECUTIVE))
    response = client.get(reverse("indicator_export_xlsx"), {"unit": "0200", "year": "2568"})
    assert 'filename="indicators-2568-0200.xlsx"' in response["Content-Disposition"]
    assert [row[3] for row in read_export(response, "xlsx")[2:]] == [other.code]
    # An unknown filter value lists nothing, as on the list page.
    assert len(read_export(client.get(reverse("indicator_export_csv"), {"unit": "9999"}), "csv")) == 2


def test_the_list_links_to_the_export_with_its_filters(executive_client, reported):
    response = executive_client.get(reverse("indicator_list"), {"year": "2568", "q": "ภาษี"})
    query = "year=2568&amp;q=%E0%B8%A0%E0%B8%B2%E0%B8%A9%E0%B8%B5"
    assert f'href="{reverse("indicator_export_xlsx")}?{query}"' in response.text
    assert f'href="{reverse("indicator_export_csv")}?{query}"' in response.text


@pytest.mark.parametrize("scale", [1, 10])
def test_export_query_count_does_not_grow_with_the_data(executive_client, django_assert_num_queries, scale):
    year = make_fiscal_year(2568)
    node = make_strategy_path()
    for _ in range(scale):
        unit = make_unit()
        for _ in range(3):
            indicator = make_indicator(year, unit, strategy_node=node)
            make_target(indicator, 1, "10")
            make_report(indicator, 1, "5", status=QuarterReport.Status.SUBMITTED)
            make_score(indicator, 1, score="90")
    # session, user, the user's roles and units (one query), the year filter's lookup,
    # then indicators (with year, unit, strategy), targets, reports, scores
    with django_assert_num_queries(8):
        response = executive_client.get(reverse("indicator_export_xlsx"), {"year": "2568"})
    assert len(read_export(response, "xlsx")) == 2 + 3 * scale


def test_text_that_looks_like_a_formula_stays_text(executive_client, registry):
    make_indicator(make_fiscal_year(2568), name='=HYPERLINK("http://example.com")')
    rows = read_export(executive_client.get(reverse("indicator_export_xlsx")), "xlsx")
    assert rows[2][export.COLUMNS.index(columns.BY_KEY["name"])] == '=HYPERLINK("http://example.com")'


# --- the command ---------------------------------------------------------------------------


def test_the_command_imports_and_prints_counts(registry, tmp_path):
    path = tmp_path / "indicators.xlsx"
    path.write_bytes(xlsx_bytes(good_rows()))
    out = io.StringIO()
    call_command("import_indicators", str(path), stdout=out)
    assert "3 แถว: สร้างตัวชี้วัดใหม่ 3" in out.getvalue()
    check_good_rows_imported()
    assert Indicator.history.filter(history_user=None).count() == 3


def test_the_command_prints_each_error_and_fails(registry, tmp_path):
    rows = good_rows()
    rows[1]["annual_target"] = "ร้อย"
    path = tmp_path / "indicators.csv"
    path.write_bytes(csv_bytes(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported: 1 error"):
        call_command("import_indicators", str(path), stderr=err)
    assert "row 3, column annual_target (H): กรุณากรอกตัวเลข" in err.getvalue()
    assert nothing_written()


def test_the_command_dry_run_writes_nothing(registry, tmp_path):
    path = tmp_path / "indicators.xlsx"
    path.write_bytes(xlsx_bytes(good_rows()))
    out = io.StringIO()
    call_command("import_indicators", str(path), "--dry-run", stdout=out)
    assert "ยังไม่ได้บันทึกข้อมูล" in out.getvalue()
    assert nothing_written()


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="nothing.xlsx"):
        call_command("import_indicators", str(tmp_path / "nothing.xlsx"))


# --- the admin page ----------------------------------------------------------------------------

IMPORT_URL = reverse("admin:indicators_indicator_import")


def upload(data, name="indicators.xlsx"):
    return SimpleUploadedFile(name, data)


def test_the_changelist_links_to_the_import_page(admin_client):
    response = admin_client.get(reverse("admin:indicators_indicator_changelist"))
    assert f'href="{IMPORT_URL}"' in response.text


def test_the_import_page_needs_the_admin_and_the_permissions(client, registry):
    assert client.get(IMPORT_URL).status_code == 302
    client.force_login(make_user("clerk", Role.EXECUTIVE, is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": upload(xlsx_bytes(good_rows()))}).status_code == 403
    client.force_login(make_user("plain", Role.ADMINISTRATOR))  # not staff: no admin site
    assert client.get(IMPORT_URL).status_code == 302
    assert nothing_written()


def test_the_import_page_lists_every_error_and_imports_nothing(admin_client, registry):
    response = admin_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert reverse("indicator_import_template_xlsx") in response.text
    rows = good_rows()
    rows[0]["annual_target"] = "-1"
    rows[2]["unit_code"] = "7777"
    response = admin_client.post(IMPORT_URL, {"file": upload(xlsx_bytes(rows))})
    assert response.status_code == 200
    errors = response.context["errors"]
    assert [(error.row, error.column, label) for error, label in errors] == [
        (3, "annual_target", "ค่าเป้าหมาย"),
        (5, "unit_code", "รหัสหน่วยงาน"),
    ]
    assert "ไม่มีหน่วยงานรหัส 7777" in response.text
    assert "ข้อผิดพลาด 2 รายการ" in response.text
    assert nothing_written()


def test_the_import_page_imports_a_good_file(admin_client, registry):
    response = admin_client.post(
        IMPORT_URL, {"file": upload(csv_bytes(good_rows()), "ตัวชี้วัด.csv")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("admin:indicators_indicator_changelist")
    assert "3 แถว: สร้างตัวชี้วัดใหม่ 3" in response.text
    check_good_rows_imported()
    assert Indicator.history.filter(history_user__username="admin").count() == 3


def test_the_import_page_can_check_only(admin_client, registry):
    response = admin_client.post(IMPORT_URL, {"file": upload(xlsx_bytes(good_rows())), "dry_run": "on"})
    assert response.status_code == 200
    assert "ไฟล์ถูกต้อง" in response.text and "ยังไม่ได้บันทึกข้อมูล" in response.text
    assert nothing_written()


def test_the_import_page_refuses_other_files(admin_client, registry):
    response = admin_client.post(IMPORT_URL, {"file": upload(b"%PDF-1.4", "indicators.pdf")})
    assert "กรุณาเลือกไฟล์ .xlsx หรือ .csv" in response.text
    response = admin_client.post(IMPORT_URL, {"file": upload(b"PK broken", "indicators.xlsx")})
    assert "อ่านไฟล์นี้เป็นสมุดงาน Excel (.xlsx) ไม่ได้" in response.text
    assert nothing_written()
