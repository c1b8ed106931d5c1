"""Units of measure as data: the migration from the eight choices, the admin, and units
an import file names that are not in the table yet (listed, added from the check's page
or with the import)."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from indicators.models import Indicator, Role, UnitOfMeasure
from tests.factories import make_fiscal_year, make_indicator, make_unit, make_user
from tests.indicators.exchange.test_import_export import (
    IMPORT_URL,
    csv_bytes,
    nothing_written,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def unit_rows():
    """Two indicators in units the portal did not begin with: tonnes (decimals) and boats."""
    common = {"fiscal_year": 2568, "unit_code": "5016", "indicator_type": "routine", "target_q4": "10"}
    return [
        common
        | {
            "indicator_code": "0701",
            "sequence": 1,
            "name": "ปริมาณขยะที่นำกลับมาใช้ใหม่",
            "annual_target": "1250.50",
            "unit_of_measure": "ตัน",
        },
        common
        | {
            "indicator_code": "0702",
            "sequence": 2,
            "name": "จำนวนเรือที่ได้รับการตรวจสภาพ",
            "annual_target": "40",
            "unit_of_measure": " ลำ ",  # spaces around the name are tidied
        },
        common
        | {
            "indicator_code": "0703",
            "sequence": 3,
            "name": "ร้อยละของชุมชนที่มีแผนชุมชน",
            "annual_target": "80",
            "unit_of_measure": "percent",  # a key of the first import: the unit ร้อยละ
        },
    ]


@pytest.fixture
def registry():
    make_fiscal_year(2568)
    make_unit("5016", "สำนักงานเขตธนบุรี")


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def test_the_eight_units_of_the_choices_are_rows_with_their_rules():
    rules = {
        unit.name: (unit.whole_numbers, unit.maximum, unit.is_percentage)
        for unit in UnitOfMeasure.objects.all()
    }
    assert rules == {
        "ร้อยละ": (False, None, True),
        "จำนวน": (True, None, False),
        "ระดับ": (True, Decimal(5), False),
        "บาท": (False, None, False),
        "ครั้ง": (True, None, False),
        "ราย": (True, None, False),
        "วัน": (False, None, False),
        "คะแนน": (False, None, False),
    }


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_the_choice_keys_into_units():
    executor = MigrationExecutor(connection)
    executor.migrate([("indicators", "0007_audit_event")])
    old = executor.loader.project_state([("indicators", "0007_audit_event")]).apps
    year = old.get_model("indicators", "FiscalYear").objects.create(year=2567)
    unit = old.get_model("indicators", "OrgUnit").objects.create(code="5016", name="ธนบุรี", kind="district")
    indicator_model = old.get_model("indicators", "Indicator")
    for code, key in (("0001", "level"), ("0002", "cases"), ("0003", "percent")):
        indicator_model.objects.create(
            fiscal_year=year,
            org_unit=unit,
            code=code,
            sequence=1,
            name=code,
            annual_target=1,
            unit_of_measure=key,
            indicator_type="routine",
        )
    old.get_model("indicators", "HistoricalIndicator").objects.create(
        id=1,
        fiscal_year_id=year.pk,
        org_unit_id=unit.pk,
        code="0001",
        sequence=1,
        name="0001",
        annual_target=1,
        unit_of_measure="level",
        indicator_type="routine",
        direction="higher",
        is_cumulative=True,
        history_date="2024-10-01T00:00:00Z",
        history_type="+",
    )
    call_command("migrate", verbosity=0)
    units = dict(Indicator.objects.values_list("code", "unit_of_measure"))
    assert units == {"0001": "ระดับ", "0002": "ราย", "0003": "ร้อยละ"}
    assert list(Indicator.history.values_list("unit_of_measure", flat=True)) == ["ระดับ"]
    level = Indicator.objects.get(code="0001")
    assert (level.unit_of_measure.whole_numbers, level.unit_of_measure.maximum) == (True, 5)


def test_unknown_units_are_listed_by_the_check_with_a_button_to_add_each(admin_client, registry):
    response = admin_client.post(IMPORT_URL, {"file": upload(xlsx_bytes(unit_rows()))})
    assert response.status_code == 200
    errors = [(error.row, error.column) for error, label in response.context["errors"]]
    assert errors == [(3, "unit_of_measure"), (4, "unit_of_measure")]
    assert "หน่วยนับ ตัน ยังไม่มีในตาราง" in response.text
    add_page = reverse("admin:indicators_unitofmeasure_add")
    assert f'href="{add_page}?name=%E0%B8%95%E0%B8%B1%E0%B8%99"' in response.text  # ?name=ตัน
    assert f'href="{add_page}?name=%E0%B8%A5%E0%B8%B3"' in response.text  # ?name=ลำ
    assert nothing_written()
    # The button opens the admin's form with the name filled in.
    form = admin_client.get(f"{add_page}?name=ลำ")
    assert 'value="ลำ"' in form.text
    response = admin_client.post(add_page, {"name": "ลำ", "whole_numbers": "on", "maximum": ""})
    assert response.status_code == 302
    admin_client.post(add_page, {"name": "ตัน", "maximum": ""})
    response = admin_client.post(IMPORT_URL, {"file": upload(xlsx_bytes(unit_rows()))}, follow=True)
    assert "3 แถว: สร้างตัวชี้วัดใหม่ 3" in response.text
    assert dict(Indicator.objects.values_list("code", "unit_of_measure")) == {
        "0701": "ตัน",
        "0702": "ลำ",
        "0703": "ร้อยละ",
    }
    boats = UnitOfMeasure.objects.get(name="ลำ")
    assert boats.whole_numbers and boats.history.get().history_user.username == "admin"


def test_ticking_add_new_units_adds_them_with_the_import(admin_client, registry):
    data = {"file": upload(csv_bytes(unit_rows()), "หน่วยนับใหม่.csv"), "add_new_units": "on"}
    response = admin_client.post(IMPORT_URL, data, follow=True)
    assert "เพิ่มหน่วยนับ: ตัน, ลำ" in response.text
    tonnes = UnitOfMeasure.objects.get(name="ตัน")
    assert (tonnes.whole_numbers, tonnes.maximum, tonnes.is_percentage) == (False, None, False)
    record = tonnes.history.get()
    assert (record.history_user.username, record.history_change_reason) == ("admin", "import หน่วยนับใหม่.csv")
    assert Indicator.objects.get(code="0702").unit_of_measure_id == "ลำ"


def test_a_check_only_run_with_new_units_adds_nothing(admin_client, registry):
    data = {"file": upload(xlsx_bytes(unit_rows())), "add_new_units": "on", "dry_run": "on"}
    response = admin_client.post(IMPORT_URL, data)
    assert "ไฟล์ถูกต้อง" in response.text and "เพิ่มหน่วยนับ: ตัน, ลำ" in response.text
    assert not UnitOfMeasure.objects.filter(name__in=["ตัน", "ลำ"]).exists()
    assert nothing_written()


def test_the_command_adds_new_units_when_told(registry, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx_bytes(unit_rows()))
    with pytest.raises(CommandError, match="2 errors"):
        call_command("import_indicators", str(path))
    call_command("import_indicators", str(path), "--add-new-units", stdout=io.StringIO())
    assert set(UnitOfMeasure.objects.filter(name__in=["ตัน", "ลำ"]).values_list("name", flat=True)) == {
        "ตัน",
        "ลำ",
    }


def test_renaming_a_unit_in_the_admin_carries_its_indicators(admin_client):
    indicator = make_indicator(unit_of_measure="ราย")
    unit = UnitOfMeasure.objects.get(name="ราย")
    change = reverse("admin:indicators_unitofmeasure_change", args=[unit.pk])
    response = admin_client.post(change, {"name": "คน", "whole_numbers": "on", "maximum": ""})
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.unit_of_measure_id == "คน" and indicator.unit_of_measure.whole_numbers
    assert not UnitOfMeasure.objects.filter(name="ราย").exists()


def test_a_unit_in_use_cannot_be_deleted(admin_client):
    make_indicator(unit_of_measure="วัน")
    unit = UnitOfMeasure.objects.get(name="วัน")
    response = admin_client.post(
        reverse("admin:indicators_unitofmeasure_delete", args=[unit.pk]), {"post": "yes"}
    )
    assert response.status_code == 200  # the admin explains what protects it
    assert UnitOfMeasure.objects.filter(name="วัน").exists()


def test_a_unit_with_a_highest_result_refuses_more(admin_client):
    unit = UnitOfMeasure.objects.create(name="คะแนนเต็ม 10", maximum=Decimal(10))
    indicator = make_indicator(unit_of_measure=unit)
    indicator.check_result(Decimal("9.5"))
    with pytest.raises(ValidationError, match="ในหน่วย คะแนนเต็ม 10 ต้องอยู่ระหว่าง 0 ถึง 10"):
        indicator.check_result(Decimal("10.5"))
