"""Benchmark of the indicator import: a 2,500-indicator .xlsx and .csv (70 units x ~36,
with four quarter targets each), validated and imported into an empty registry, then
imported again unchanged and with every row changed. Not a test: it asserts nothing,
it measures.

    .venv/bin/python tools/bench_import.py        # SQLite file bench-import.sqlite3
    DATABASE_URL=postgres://... .venv/bin/python tools/bench_import.py

BENCH_IMPORT_UNITS and BENCH_IMPORT_INDICATORS change the scale (70, 2500).
"""

import csv
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench-import.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from indicators.exchange import columns, load  # noqa: E402
from indicators.exchange.read import read_table  # noqa: E402
from indicators.models import FiscalYear, Indicator, OrgUnit, QuarterTarget, StrategyNode  # noqa: E402

UNITS = int(os.environ.get("BENCH_IMPORT_UNITS", 70))
INDICATORS = int(os.environ.get("BENCH_IMPORT_INDICATORS", 2500))
YEAR = 2599  # a year of its own, so that the bench never touches other data in the database
KEYS = [column.key for column in columns.IMPORT_COLUMNS]


def set_up() -> None:
    call_command("migrate", verbosity=0)
    FiscalYear.objects.get_or_create(year=YEAR)
    for number in range(UNITS):
        OrgUnit.objects.get_or_create(
            code=f"B{number:03d}",
            defaults={"name": f"สำนักงานเขตทดสอบที่ {number + 1}", "kind": OrgUnit.Kind.DISTRICT},
        )
    parent = None
    for level, code in enumerate(("9", "9.1", "9.1.1", "9.1.1.1"), start=1):
        parent, _ = StrategyNode.objects.get_or_create(
            code=code, defaults={"title": f"ยุทธศาสตร์ทดสอบ {code}", "parent": parent, "level": level}
        )


def rows(revision: str = "") -> list[dict]:
    """INDICATORS rows spread over UNITS units, Thai text of realistic length."""
    result = []
    for index in range(INDICATORS):
        unit, sequence = index % UNITS, index // UNITS + 1
        annual = 100 if index % 3 else 12_500
        result.append(
            {
                "fiscal_year": YEAR,
                "unit_code": f"B{unit:03d}",
                "unit_name": f"สำนักงานเขตทดสอบที่ {unit + 1}",
                "indicator_code": f"{sequence:04d}",
                "sequence": sequence,
                "agreement_ref": f"{sequence % 4 + 1}.{sequence % 6 + 1}",
                "name": f"ร้อยละความสำเร็จของการดำเนินโครงการให้บริการที่ดีที่สุด ลำดับที่ {sequence}{revision}",
                "annual_target": annual,
                "unit_of_measure": "ร้อยละ" if index % 3 else "count",
                "indicator_type": "ตัวชี้วัดงานประจำ",
                "result_level": "output",
                "direction": "higher",
                "is_cumulative": "ใช่",
                "definition": "ความสำเร็จของโครงการ หมายถึง การดำเนินการแล้วเสร็จตามแผนที่กำหนด " * 4,
                "calculation_method": "(จำนวนโครงการที่แล้วเสร็จ / จำนวนโครงการทั้งหมด) x 100",
                "data_source": "รายงานผลการดำเนินงานประจำไตรมาสของหน่วยงาน",
                "strategy_code": "๙.๑.๑.๑",
                "target_q1": annual / 4,
                "target_q2": annual / 2 + (1 if revision else 0),
                "target_q3": annual * 3 / 4,
                "target_q4": annual,
            }
        )
    return result


def xlsx_bytes(data: list[dict]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("indicators")
    sheet.append(KEYS)
    sheet.append([columns.BY_KEY[key].heading() for key in KEYS])
    for row in data:
        sheet.append([row.get(key) for key in KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(data: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(KEYS)
    writer.writerow([columns.BY_KEY[key].heading() for key in KEYS])
    for row in data:
        writer.writerow([row.get(key, "") for key in KEYS])
    return buffer.getvalue().encode("utf-8-sig")


def empty_registry() -> None:
    Indicator.objects.filter(fiscal_year__year=YEAR).delete()


def measure(label: str, data: bytes, name: str) -> None:
    """Time reading, validation and writing separately, then the whole import."""
    start = time.perf_counter()
    table = read_table(io.BytesIO(data), name)
    read = time.perf_counter() - start
    plan = load.validate(table)
    validated = time.perf_counter() - start
    assert not plan.errors, plan.errors[:5]
    with CaptureQueriesContext(connection) as queries:
        result = load.import_file(io.BytesIO(data), name)
    total = time.perf_counter() - start - validated
    print(
        f"{label:<40} {total:6.2f} s  {result.rows / total:7.0f} rows/s   "
        f"(read {read:.2f} s, read+validate {validated:.2f} s; {len(queries)} queries)   "
        f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}; "
        f"targets +{result.targets_created} ~{result.targets_updated}"
    )


def main() -> None:
    set_up()
    data = rows()
    xlsx, csv_data, changed = xlsx_bytes(data), csv_bytes(data), xlsx_bytes(rows(" (ปรับปรุง)"))
    print(
        f"database: {connection.vendor}; {INDICATORS} indicators in {UNITS} units; "
        f".xlsx {len(xlsx) / 1024:.0f} KB, .csv {len(csv_data) / 1024:.0f} KB"
    )
    empty_registry()
    measure(".xlsx into an empty registry", xlsx, "bench.xlsx")
    measure(".xlsx again, unchanged", xlsx, "bench.xlsx")
    measure(".xlsx again, every row changed", changed, "bench.xlsx")
    empty_registry()
    measure(".csv into an empty registry", csv_data, "bench.csv")
    measure(".csv again, unchanged", csv_data, "bench.csv")
    count = QuarterTarget.objects.filter(indicator__fiscal_year__year=YEAR).count()
    print(
        f"registry after the runs: {Indicator.objects.filter(fiscal_year__year=YEAR).count()} indicators, "
        f"{count} quarter targets"
    )


if __name__ == "__main__":
    main()
