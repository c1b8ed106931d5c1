"""Benchmark of the whole-sheet migration at the scale of Bangkok: five fiscal years of
2,500 indicators (50,000 quarter rows with narratives of realistic length, scores,
summaries, projects and data sets), one .xlsx per year, imported into an empty database
with ``reports.migration.sheets.import_sheets``. Prints the import time and the process's
peak memory against the goals (60 s, 500 MB), with the CPU seconds the import took in
this process (the machine is shared: wall time alone says little), and the query counts of the list, a sheet
and the dashboard before and after. Not a test: it asserts nothing, it measures.

    .venv/bin/python tools/bench_migration.py        # SQLite file bench-migration.sqlite3
    DATABASE_URL=postgres://... .venv/bin/python tools/bench_migration.py

BENCH_MIGRATION_YEARS, BENCH_MIGRATION_INDICATORS and BENCH_MIGRATION_UNITS change the
scale (5, 2500, 70).
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench-migration.sqlite3'}")

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", "No directory at", UserWarning)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from indicators.models import FiscalYear, Indicator, OrgUnit, Role, StrategyNode  # noqa: E402
from reports.migration import sheets  # noqa: E402
from reports.models import QuarterReport  # noqa: E402

YEARS = int(os.environ.get("BENCH_MIGRATION_YEARS", 5))
INDICATORS = int(os.environ.get("BENCH_MIGRATION_INDICATORS", 2500))
UNITS = int(os.environ.get("BENCH_MIGRATION_UNITS", 70))
FIRST_YEAR = 2591  # years of their own (and closed: before the current one), never the demo's
GOAL_SECONDS, GOAL_MB = 60, 500
KEYS = [column.key for column in sheets.LAYOUT if column.key != "unit_name"]
NARRATIVE = (
    "ไตรมาสนี้หน่วยงานดำเนินการตามแผนปฏิบัติราชการ จัดประชุมคณะทำงานเพื่อติดตามความก้าวหน้า "
    "ลงพื้นที่ชุมชนร่วมกับเครือข่ายอาสาสมัคร ประชาสัมพันธ์ผ่านช่องทางออนไลน์และป้ายประกาศ "
    "รวบรวมข้อมูลผู้รับบริการและความพึงพอใจ ปัญหาอุปสรรคคือฝนตกหนักในช่วงปลายไตรมาส "
    "ทำให้ต้องเลื่อนกิจกรรมบางส่วนออกไป แนวทางแก้ไขคือปรับแผนและเพิ่มรอบการดำเนินงานในไตรมาสถัดไป "
)


def set_up() -> Client:
    call_command("migrate", verbosity=0)
    Indicator.objects.filter(
        fiscal_year__year__gte=FIRST_YEAR, fiscal_year__year__lt=FIRST_YEAR + YEARS
    ).delete()
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        FiscalYear.objects.get_or_create(year=year)
    for number in range(UNITS):
        OrgUnit.objects.get_or_create(
            code=f"M{number:03d}",
            defaults={"name": f"สำนักงานเขตทดสอบที่ {number + 1}", "kind": OrgUnit.Kind.DISTRICT},
        )
    parent = None
    for level, code in enumerate(("9", "9.2", "9.2.1", "9.2.1.1"), start=1):
        parent, _ = StrategyNode.objects.get_or_create(
            code=code, defaults={"title": f"ยุทธศาสตร์ทดสอบ {code}", "parent": parent, "level": level}
        )
    user, _ = get_user_model().objects.get_or_create(username="bench-migration-executive")
    user.groups.add(Group.objects.get_or_create(name=Role.EXECUTIVE)[0])
    client = Client()
    client.force_login(user)
    return client


def sheet_row(year: int, index: int) -> list:
    unit, sequence = index % UNITS, index // UNITS + 1
    annual = 100 if index % 3 else 40
    results = [annual * share for share in (0.2, 0.35, 0.3, 0.425)]  # going down in Q3, as real ones do
    row = {
        "fiscal_year": year,
        "unit_code": f"M{unit:03d}",
        "indicator_code": f"{sequence:04d}",
        "sequence": sequence,
        "agreement_ref": f"{sequence % 4 + 1}.{sequence % 6 + 1}",
        "name": f"(New) ร้อยละความสำเร็จของการดำเนินโครงการพัฒนาคุณภาพชีวิตของประชาชนในพื้นที่ ลำดับที่ {sequence}",
        "annual_target": annual,
        "unit_of_measure": "ร้อยละ" if index % 3 else "ตัน",
        "indicator_type": "routine",
        "result_level": "output",
        "is_cumulative": "ใช่",
        "definition": "ความสำเร็จของโครงการ หมายถึง การดำเนินการแล้วเสร็จตามแผนที่กำหนด " * 4,
        "calculation_method": "(จำนวนโครงการที่แล้วเสร็จ / จำนวนโครงการทั้งหมด) x 100",
        "data_source": "รายงานผลการดำเนินงานประจำไตรมาสของหน่วยงาน",
        "strategy_code": "9.2.1.1",
        "summary": "สรุปผลการดำเนินงานทั้งปี " + NARRATIVE,
        "projects": "โครงการพัฒนาคุณภาพชีวิต | 250000.00\nกิจกรรมรณรงค์ประชาสัมพันธ์",
        "data_sets": "D01 จำนวนประชากรตามทะเบียนราษฎร",
    }
    for quarter, result in enumerate(results, start=1):
        row |= {
            f"target_q{quarter}": annual * quarter / 4,
            f"result_q{quarter}": round(result, 2),
            f"status_q{quarter}": "accepted",
            f"narrative_q{quarter}": f"ไตรมาสที่ {quarter}: " + NARRATIVE * 2,
            f"score_q{quarter}": "100.0000" if quarter < 4 else "90.5",
            f"criterion_1_q{quarter}": 100 if quarter < 4 else None,
            f"criterion_2_q{quarter}": 90 if quarter < 4 else None,
            f"verified_q{quarter}": "ใช่" if quarter == 3 else "ไม่ใช่",
        }
    return [row.get(key) for key in KEYS]


def write_files(directory: Path) -> list[Path]:
    """One streamed .xlsx per year (openpyxl write_only)."""
    paths = []
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("sheets")
        sheet.append(KEYS)
        for index in range(INDICATORS):
            sheet.append(sheet_row(year, index))
        path = directory / f"sheets-{year}.xlsx"
        workbook.save(path)
        paths.append(path)
    return paths


def query_counts(client) -> dict:
    pk = Indicator.objects.filter(fiscal_year__year=FIRST_YEAR).values_list("pk", flat=True).first()
    counts = {}
    for label, url in (
        ("list", f"/indicators/?year={FIRST_YEAR}"),
        ("sheet", f"/indicators/{pk}/"),
        ("dashboard", f"/dashboard/?year={FIRST_YEAR}"),
    ):
        client.get(url)  # the first request of a session reads more (session, user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        counts[label] = (response.status_code, len(queries))
    return counts


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL server process (on this machine), where the
    writes' work is done; None on SQLite (its work is in this process) or when unreadable."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def load_average() -> str:
    """The machine is shared: the wall time is read beside the process's CPU time and the load."""
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main() -> None:
    client = set_up()
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        paths = write_files(Path(directory))
        size = sum(path.stat().st_size for path in paths) / 1024 / 1024
        print(
            f"database: {connection.vendor}; {YEARS} years x {INDICATORS} sheets "
            f"({YEARS * INDICATORS * 4:,} quarter rows) in {YEARS} .xlsx files, {size:.1f} MB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        # A first small sheet, so that the pages have something to count against.
        with paths[0].open("rb") as handle:
            table = sheets.read_table(handle, paths[0].name)[:26]
        assert sheets.import_table(table, "first.xlsx", add_new_units=True).ok
        before = query_counts(client)
        memory_before = peak_mb()
        started, cpu_started, server_started = time.perf_counter(), time.process_time(), server_cpu_seconds()
        for path in paths:
            with path.open("rb") as handle:
                result = sheets.import_sheets(handle, path.name, add_new_units=True)
            assert result.ok, result.errors[:5]
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        server = server_cpu_seconds()
    memory = peak_mb()
    if server is not None:
        print(f"PostgreSQL server process: {server - server_started:.1f} s CPU during the import")
    reports = QuarterReport.objects.filter(indicator__fiscal_year__year__gte=FIRST_YEAR).count()
    print(
        f"import: {seconds:6.1f} s for {reports:,} quarter reports ({seconds / GOAL_SECONDS:.2f} of the "
        f"{GOAL_SECONDS} s goal; {cpu_seconds:.1f} s CPU of this process, {load_average()}); "
        f"peak memory {memory:.0f} MB "
        f"({memory / GOAL_MB:.2f} of the {GOAL_MB} MB goal; {memory_before:.0f} MB before the import)"
    )
    after = query_counts(client)
    for label in before:
        verdict = "unchanged" if before[label] == after[label] else "CHANGED"
        print(
            f"{label:<10} status {after[label][0]}, {after[label][1]} queries "
            f"({verdict}; {before[label][1]} before)"
        )


if __name__ == "__main__":
    main()
