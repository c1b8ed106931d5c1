"""Whole indicator sheets in and out: one row per sheet (an indicator in a fiscal year),
for migrating past years from the old system (docs/migration.md).

The layout is the indicator export's (indicators/exchange: the registry's columns and
quarter targets, then each quarter's result, status, score and criteria) followed by
``SHEET_COLUMNS``: each quarter's narrative and verification flag, the annual summary,
the supporting projects and the city data sets. The registry part goes through the
indicator import unchanged (``indicators.exchange.load``); this module reads the rest,
validates every row before anything is written, and writes all of it or none.

Migrated reports have no user: ``is_migrated`` marks them, nobody submitted or
reviewed them. A year before the current fiscal year is closed: its reports arrive
accepted and its quarters locked. Every change is in the history with the import's
reason ("import sheets FILE").
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from indicators import audit, thai
from indicators.bulk import bulk_create_with_history, bulk_update_with_history
from indicators.exchange import load
from indicators.exchange.cells import (
    CONTROL_CHARACTER,
    CellError,
    UnreadableCell,
    cell_text,
    control_character_error,
    folded,
    is_blank,
    parse_bool,
    parse_decimal,
    unquoted,
    yes_no,
)
from indicators.exchange.columns import BY_KEY, Column, column_names, quarter_columns
from indicators.exchange.read import read_table
from indicators.exchange.write import write_csv, write_xlsx
from indicators.models import (
    QUARTERS,
    CityDataSet,
    FiscalQuarter,
    FiscalYear,
    Indicator,
    StrategyNode,
    SupportingProject,
)
from reports.export import COLUMNS, ReportExportRow, report_value
from reports.migration.records import SheetRecord
from reports.models import AnnualSummary, AuditScore, QuarterReport

BATCH = 500
PROJECT_BUDGET_SEPARATOR = " | "


@dataclass
class SheetRow(ReportExportRow):
    """One sheet as the layout writes it."""

    summary: str = ""
    projects: list = field(default_factory=list)
    data_sets: list = field(default_factory=list)


def verified_value(quarter: int) -> Callable:
    def value(row):
        score = row.scores.get(quarter)
        return yes_no(bool(score and score.is_verification))

    return value


def projects_value(row) -> str:
    lines = []
    for project in row.projects:
        budget = "" if project.budget is None else f"{PROJECT_BUDGET_SEPARATOR}{project.budget:f}"
        lines.append(f"{project.name}{budget}")
    return "\n".join(lines)


SHEET_COLUMNS = [
    *quarter_columns(
        "narrative",
        lambda criteria, quarter: gettext("narrative, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: report_value(quarter, lambda report: report.narrative),
    ),
    *quarter_columns(
        "verified",
        lambda criteria, quarter: (
            gettext("verified by the auditors, quarter %(quarter)s") % {"quarter": quarter}
        ),
        verified_value,
    ),
    Column("summary", lambda criteria: gettext("performance summary"), lambda row: row.summary, width=40),
    Column(
        "projects",
        lambda criteria: gettext("supporting projects (one a line; name | budget)"),
        projects_value,
        width=40,
    ),
    Column(
        "data_sets",
        lambda criteria: gettext("city data sets (one a line: code name)"),
        lambda row: "\n".join(f"{s.code} {s.name}" for s in row.data_sets),
        width=30,
    ),
]
LAYOUT = COLUMNS + SHEET_COLUMNS  # what the whole-sheet export writes and the import reads


# --- reading ---------------------------------------------------------------------------


def parse_score(value) -> Decimal:
    number = parse_decimal(value)
    if number > 100:
        raise CellError(gettext("A score is between 0 and 100."))
    return number


@cache
def status_names() -> dict[str, str]:
    """A status cell may hold the key or the Thai or English label (the export writes it)."""
    names = {status.value: status.value for status in QuarterReport.Status}
    for language in ("th", "en"):
        with translation.override(language):
            names.update({folded(status.label): status.value for status in QuarterReport.Status})
    return names


def parse_status(value) -> str:
    status = status_names().get(folded(cell_text(value)))
    if status is None:
        allowed = ", ".join(QuarterReport.Status.values)
        raise CellError(gettext("Not one of the allowed values: %(allowed)s.") % {"allowed": allowed})
    return status


def parse_multiline(value) -> str:
    return cell_text(value)


def parse_projects(value) -> list[tuple[str, Decimal | None]]:
    projects = []
    for line in cell_text(value).split("\n"):
        if not line.strip():
            continue
        name, separator, budget = line.rpartition(PROJECT_BUDGET_SEPARATOR.strip())
        if separator and name.strip():
            try:
                projects.append((name.strip(), parse_decimal(budget)))
                continue
            except CellError:
                pass  # a "|" inside a name
        projects.append((line.strip(), None))
    return projects


def parse_data_sets(value) -> list[tuple[str, str]]:
    data_sets = []
    for line in cell_text(value).split("\n"):
        code, _, name = line.strip().partition(" ")
        if code:
            data_sets.append((code, name.strip()))
    return data_sets


PARSERS = {
    **{f"result_q{q}": parse_decimal for q in QUARTERS},
    **{f"status_q{q}": parse_status for q in QUARTERS},
    **{f"score_q{q}": parse_score for q in QUARTERS},
    **{f"criterion_1_q{q}": parse_score for q in QUARTERS},
    **{f"criterion_2_q{q}": parse_score for q in QUARTERS},
    **{f"narrative_q{q}": parse_multiline for q in QUARTERS},
    **{f"verified_q{q}": parse_bool for q in QUARTERS},
    "summary": parse_multiline,
    "projects": parse_projects,
    "data_sets": parse_data_sets,
}


@dataclass
class SheetPlan:
    plan: load.Plan
    parts: list[dict]  # per registry row: column key -> parsed value (present columns only)
    errors: list[load.RowError]


def validate(table: list[tuple[int, list]], add_new_units: bool = False) -> SheetPlan:
    plan = load.validate(table, add_new_units=add_new_units)
    errors = list(plan.errors)
    if not plan.rows:
        return SheetPlan(plan, [], errors)
    table = [(number, cells) for number, cells in table if any(not is_blank(cell) for cell in cells)]
    header = table[0][1]
    names = {name: key for key in PARSERS for name in column_names(BY_KEY[key])}
    positions = {}
    for index, cell in enumerate(header):
        key = names.get(folded(cell)) if isinstance(cell, str | int) else None
        if key is not None:
            positions[key] = index
    cells_by_row = dict(table)
    parts = []
    for row in plan.rows:
        cells, values = cells_by_row[row.row], {}
        for key, index in positions.items():
            raw = cells[index] if index < len(cells) else None
            letter = get_column_letter(index + 1)
            if isinstance(raw, UnreadableCell):
                errors.append(load.RowError(row.row, key, raw.message, letter))
                continue
            if isinstance(raw, str):
                if error := control_character_error(raw):
                    errors.append(load.RowError(row.row, key, str(error), letter))
                    continue
                raw = unquoted(raw)
            if is_blank(raw):
                values[key] = None
                continue
            try:
                values[key] = PARSERS[key](raw)
            except CellError as error:
                errors.append(load.RowError(row.row, key, str(error), letter))
        verified = [q for q in QUARTERS if values.get(f"verified_q{q}")]
        if len(verified) > 1:
            errors.append(
                load.RowError(
                    row.row,
                    f"verified_q{verified[1]}",
                    gettext(
                        "Only one quarter of an indicator is its verification (also quarter %(quarter)s)."
                    )
                    % {"quarter": verified[0]},
                )
            )
        parts.append(values)
    return SheetPlan(plan, parts, sorted(errors, key=load.error_order))


# --- writing ---------------------------------------------------------------------------


@dataclass
class SheetResult:
    registry: load.ImportResult
    errors: list = field(default_factory=list)
    reports: int = 0
    scores: int = 0
    locked_quarters: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = gettext("%(sheets)d sheets: %(reports)d quarter reports, %(scores)d scores written.") % {
            "sheets": self.registry.rows,
            "reports": self.reports,
            "scores": self.scores,
        }
        return f"{self.registry.summary()} {text}"


def import_sheets(
    file, name: str, user=None, dry_run: bool = False, add_new_units: bool = False, request=None
) -> SheetResult:
    """Validate every row of a whole-sheet file, then write every sheet or none."""
    return import_table(read_table(file, name), name, user, dry_run, add_new_units, request)


def import_table(table, name, user=None, dry_run=False, add_new_units=False, request=None) -> SheetResult:
    sheets = validate(table, add_new_units=add_new_units)
    if sheets.errors:
        registry = load.ImportResult(rows=len(sheets.plan.rows), new_units=sheets.plan.new_units)
        return SheetResult(registry, errors=sheets.errors)
    with transaction.atomic():
        reason = CONTROL_CHARACTER.sub("", f"import sheets {Path(name).name}")[:100]
        registry = load.write(sheets.plan, user, reason=reason)
        result = SheetResult(registry)
        write_sheets(sheets, reason, result)
        if dry_run:
            transaction.set_rollback(True)
            result.dry_run = registry.dry_run = True
    if not dry_run:
        audit.record(
            audit.AuditEvent.Kind.IMPORTED,
            request=request,
            user=user,
            file=CONTROL_CHARACTER.sub("", Path(name).name)[:200],
            imported=True,
            errors=0,
            sheets=result.registry.rows,
            reports=result.reports,
        )
    return result


def current_fiscal_year() -> int:
    """The fiscal year today is in: the years before it are closed."""
    return thai.fiscal_year_of(timezone.localdate())


def write_sheets(sheets: SheetPlan, reason: str, result: SheetResult) -> None:
    plan = sheets.plan
    keys = [(r.fields["fiscal_year_id"], r.fields["org_unit_id"], r.fields["code"]) for r in plan.rows]
    scope = {"fiscal_year_id__in": {k[0] for k in keys}, "org_unit_id__in": {k[1] for k in keys}}
    indicators = {
        (i.fiscal_year_id, i.org_unit_id, i.code): i
        for i in Indicator.objects.filter(**scope).select_related("fiscal_year")
    }
    rows = [(indicators[key], parts) for key, parts in zip(keys, sheets.parts, strict=True)]
    current = current_fiscal_year()
    ids = [indicator.pk for indicator, _ in rows]
    write_reports(rows, ids, current, reason, result)
    write_scores(rows, ids, reason, result)
    write_summaries(rows, ids, reason)
    write_projects(rows, ids, reason)
    write_data_sets(rows)
    closed = {indicator.fiscal_year for indicator, _ in rows if indicator.fiscal_year.year < current}
    lock_closed_years(closed, reason, result)


def quarter_present(parts: dict, prefix: str, quarter: int) -> bool:
    return f"{prefix}_q{quarter}" in parts


def write_reports(rows, ids, current: int, reason: str, result: SheetResult) -> None:
    existing = {(r.indicator_id, r.quarter): r for r in QuarterReport.objects.filter(indicator_id__in=ids)}
    new, changed = [], []
    fields = ["result", "narrative", "status", "is_migrated"]
    for indicator, parts in rows:
        closed = indicator.fiscal_year.year < current
        for quarter in QUARTERS:
            if not any(quarter_present(parts, p, quarter) for p in ("result", "narrative", "status")):
                continue
            value = parts.get(f"result_q{quarter}")
            narrative = parts.get(f"narrative_q{quarter}") or ""
            status = parts.get(f"status_q{quarter}")
            if value is None and not narrative and status is None:
                continue  # an empty quarter: nothing reported
            if closed or status is None:
                status = QuarterReport.Status.ACCEPTED if closed else QuarterReport.Status.SUBMITTED
            report = existing.get((indicator.pk, quarter))
            wanted = {"result": value, "narrative": narrative, "status": status, "is_migrated": True}
            if report is None:
                new.append(QuarterReport(indicator_id=indicator.pk, quarter=quarter, **wanted))
            elif any(getattr(report, name) != wanted[name] for name in fields):
                for name, value in wanted.items():
                    setattr(report, name, value)
                report.version += 1
                changed.append(report)
    if new:
        bulk_create_with_history(new, QuarterReport, batch_size=BATCH, default_change_reason=reason)
    if changed:
        bulk_update_with_history(
            changed, QuarterReport, [*fields, "version"], batch_size=BATCH, default_change_reason=reason
        )
    result.reports = len(new) + len(changed)


def write_scores(rows, ids, reason: str, result: SheetResult) -> None:
    existing = {(s.indicator_id, s.quarter): s for s in AuditScore.objects.filter(indicator_id__in=ids)}
    new, changed = [], []
    fields = ["score", "criterion_1", "criterion_2", "is_verification"]
    for indicator, parts in rows:
        for quarter in QUARTERS:
            present = [
                p
                for p in ("score", "criterion_1", "criterion_2", "verified")
                if quarter_present(parts, p, quarter)
            ]
            if not present:
                continue
            wanted = {
                "score": parts.get(f"score_q{quarter}"),
                "criterion_1": parts.get(f"criterion_1_q{quarter}"),
                "criterion_2": parts.get(f"criterion_2_q{quarter}"),
                "is_verification": bool(parts.get(f"verified_q{quarter}")),
            }
            score = existing.get((indicator.pk, quarter))
            if score is None:
                if (
                    wanted["score"] is None
                    and wanted["criterion_1"] is None
                    and wanted["criterion_2"] is None
                ):
                    if not wanted["is_verification"]:
                        continue
                new.append(AuditScore(indicator_id=indicator.pk, quarter=quarter, **wanted))
            elif any(getattr(score, name) != wanted[name] for name in fields):
                for name, value in wanted.items():
                    setattr(score, name, value)
                changed.append(score)
    # Verification moves between quarters: clear it first, so that the constraint of one
    # verification per indicator holds at every step.
    moving = [s for s in changed if not s.is_verification]
    if moving:
        bulk_update_with_history(moving, AuditScore, fields, batch_size=BATCH, default_change_reason=reason)
    rest = [s for s in changed if s.is_verification]
    if rest:
        bulk_update_with_history(rest, AuditScore, fields, batch_size=BATCH, default_change_reason=reason)
    if new:
        bulk_create_with_history(new, AuditScore, batch_size=BATCH, default_change_reason=reason)
    result.scores = len(new) + len(changed)


def write_summaries(rows, ids, reason: str) -> None:
    existing = {s.indicator_id: s for s in AnnualSummary.objects.filter(indicator_id__in=ids)}
    new, changed = [], []
    for indicator, parts in rows:
        if "summary" not in parts:
            continue
        text = parts["summary"] or ""
        summary = existing.get(indicator.pk)
        if summary is None:
            if text:
                new.append(AnnualSummary(indicator_id=indicator.pk, text=text))
        elif summary.text != text:
            summary.text = text
            changed.append(summary)
    if new:
        bulk_create_with_history(new, AnnualSummary, batch_size=BATCH, default_change_reason=reason)
    if changed:
        bulk_update_with_history(
            changed, AnnualSummary, ["text"], batch_size=BATCH, default_change_reason=reason
        )


def write_projects(rows, ids, reason: str) -> None:
    """The file's list is the sheet's list: projects are replaced when it differs."""
    existing = {}
    for project in SupportingProject.objects.filter(indicator_id__in=ids).order_by("position", "pk"):
        existing.setdefault(project.indicator_id, []).append(project)
    new, removed = [], []
    for indicator, parts in rows:
        if "projects" not in parts:
            continue
        wanted = parts["projects"] or []
        have = existing.get(indicator.pk, [])
        if [(p.name, p.budget) for p in have] == list(wanted):
            continue
        removed += have
        new += [
            SupportingProject(indicator_id=indicator.pk, position=position, name=name, budget=budget)
            for position, (name, budget) in enumerate(wanted)
        ]
    for project in removed:
        project._change_reason = reason
        project.delete()
    if new:
        bulk_create_with_history(new, SupportingProject, batch_size=BATCH, default_change_reason=reason)


def write_data_sets(rows) -> None:
    """Data sets are linked by code; a code the table lacks is added with the file's name."""
    wanted = {indicator.pk: parts["data_sets"] or [] for indicator, parts in rows if "data_sets" in parts}
    if not wanted:
        return
    names = {code: name for pairs in wanted.values() for code, name in pairs}
    known = {s.code: s.pk for s in CityDataSet.objects.filter(code__in=names)}
    missing = [CityDataSet(code=code, name=names[code] or code) for code in names if code not in known]
    if missing:
        for data_set in bulk_create_with_history(missing, CityDataSet, batch_size=BATCH):
            known[data_set.code] = data_set.pk
        known.update({s.code: s.pk for s in CityDataSet.objects.filter(code__in=[m.code for m in missing])})
    Link = Indicator.city_data_sets.through
    Link.objects.filter(indicator_id__in=list(wanted)).delete()
    Link.objects.bulk_create(
        [
            Link(indicator_id=indicator_id, citydataset_id=known[code])
            for indicator_id, pairs in wanted.items()
            for code in dict.fromkeys(code for code, _ in pairs)
        ],
        batch_size=BATCH,
    )


def lock_closed_years(years, reason: str, result: SheetResult) -> None:
    """Lock a closed year's quarters, in their history; a quarter the year lacks is added
    with the demo's deadline (15 days after the quarter's end)."""
    now = timezone.now()
    for fiscal_year in years:
        have = set(fiscal_year.quarters.values_list("quarter", flat=True))
        for quarter in sorted(set(QUARTERS) - have):
            due = thai.quarter_end(fiscal_year.year, quarter) + datetime.timedelta(days=15)
            FiscalQuarter.objects.create(fiscal_year=fiscal_year, quarter=quarter, due_date=due)
        for period in fiscal_year.quarters.filter(locked_at__isnull=True):
            period.locked_at, period._change_reason = now, reason
            period.save(update_fields=["locked_at"])
            result.locked_quarters += 1


# --- sheets saved from the old system --------------------------------------------------


def record_values(record: SheetRecord) -> dict:
    """A sheet read from the old system (``old_sheet``) as one row of the layout."""
    values = {
        "fiscal_year": record.fiscal_year,
        "unit_code": record.unit_code,
        "indicator_code": record.indicator_code,
        "sequence": record.sequence,
        "agreement_ref": record.agreement_ref,
        "name": record.name,
        "annual_target": record.annual_target,
        "unit_of_measure": record.unit_of_measure,
        # A type the reader did not know goes as printed: the check names it, never guesses.
        "indicator_type": record.indicator_type or record.indicator_type_text,
        "result_level": record.result_level or record.result_level_text or None,
        "definition": record.definition,
        "calculation_method": record.calculation_method,
        "data_source": record.data_source,
        "strategy_code": record.strategy_path[-1].code if record.strategy_path else None,
        "summary": record.summary,
        "projects": "\n".join(project.name for project in record.projects),
        "data_sets": "\n".join(data_set.text for data_set in record.data_sets),
    }
    verified = record.verification.quarter if record.verification else None
    for quarter in QUARTERS:
        row = record.quarter(quarter)
        score = row.score if row else None
        if score is None and quarter == verified and record.verification.score is not None:
            score = record.verification.score
        values |= {
            f"result_q{quarter}": row.result if row else None,
            f"narrative_q{quarter}": row.narrative if row else "",
            f"score_q{quarter}": score,
            f"criterion_1_q{quarter}": row.criterion_1 if row else None,
            f"criterion_2_q{quarter}": row.criterion_2 if row else None,
            f"verified_q{quarter}": yes_no(quarter == verified),
        }
    return values


def records_table(records) -> list[tuple[int, list]]:
    """The rows of ``records`` as a table the import reads: row 1 the keys, then row
    ``n + 1`` the n-th record (errors name it by that row)."""
    keys = list(record_values(records[0])) if records else ["fiscal_year"]
    table = [(1, keys)]
    for number, record in enumerate(records, start=2):
        values = record_values(record)
        table.append((number, [values[key] for key in keys]))
    return table


def ensure_strategy_paths(records) -> None:
    """The old sheet carries its strategy path with titles: add the nodes the tree lacks."""
    for record in records:
        parent = None
        for step in record.strategy_path:
            parent, _ = StrategyNode.objects.get_or_create(
                code=step.code, defaults={"title": step.title, "parent": parent, "level": step.level}
            )


def criterion_label_errors(records) -> list[load.RowError]:
    """The criteria labels an old sheet prints belong to its fiscal year: the sheets of
    one year must agree, and fit the year's fields."""
    first, errors = {}, []
    max_length = FiscalYear._meta.get_field("criterion_1_label").max_length
    for number, record in enumerate(records, start=2):
        labels = record.criterion_labels
        row, expected = first.setdefault(record.fiscal_year, (number, labels))
        if labels != expected:
            errors.append(
                load.RowError(
                    number,
                    "criteria",
                    gettext(
                        "The criteria read %(these)s here but %(first)s on row %(row)d, in the same year."
                    )
                    % {"these": " / ".join(labels), "first": " / ".join(expected), "row": row},
                )
            )
        elif any(len(label) > max_length for label in labels):
            errors.append(
                load.RowError(
                    number,
                    "criteria",
                    gettext("A criterion's label has at most %(max)d characters.") % {"max": max_length},
                )
            )
    return errors


def set_criterion_labels(records, reason: str) -> None:
    labels = {record.fiscal_year: record.criterion_labels for record in records}
    for fiscal_year in FiscalYear.objects.filter(year__in=labels):
        wanted = labels[fiscal_year.year]
        if (fiscal_year.criterion_1_label, fiscal_year.criterion_2_label) != wanted:
            fiscal_year.criterion_1_label, fiscal_year.criterion_2_label = wanted
            fiscal_year._change_reason = reason
            fiscal_year.save(update_fields=["criterion_1_label", "criterion_2_label"])


def import_records(records, name: str, user=None, dry_run=False, add_new_units=False) -> SheetResult:
    """Import sheets read from the old system: the same validation and writing as a file;
    the criteria labels they print become their fiscal year's."""
    if errors := criterion_label_errors(records):
        return SheetResult(load.ImportResult(rows=len(records)), errors=errors)
    with transaction.atomic():
        ensure_strategy_paths(records)
        result = import_table(records_table(records), name, user, dry_run, add_new_units)
        if not result.ok or dry_run:
            transaction.set_rollback(True)
        else:
            set_criterion_labels(records, CONTROL_CHARACTER.sub("", f"import sheets {Path(name).name}")[:100])
    return result


# --- export ----------------------------------------------------------------------------


def sheet_rows(indicators) -> Iterable[SheetRow]:
    """Every part of each sheet, in a fixed number of queries per 1,000 indicators."""
    queryset = indicators.select_related("fiscal_year", "org_unit", "strategy_node").prefetch_related(
        "targets", "reports", "scores", "projects", "city_data_sets", "annual_summary"
    )
    for indicator in queryset.iterator(chunk_size=1000):
        summary = getattr(indicator, "annual_summary", None)
        yield SheetRow(
            indicator,
            targets={t.quarter: t.target for t in indicator.targets.all()},
            reports={r.quarter: r for r in indicator.reports.all()},
            scores={s.quarter: s for s in indicator.scores.all()},
            summary=summary.text if summary else "",
            projects=list(indicator.projects.all()),
            data_sets=sorted(indicator.city_data_sets.all(), key=lambda s: s.code),
        )


def export_sheets(indicators, fmt: str = "xlsx") -> bytes:
    """Whole sheets in the layout the import reads: exported, then imported, they are the same."""
    rows = sheet_rows(indicators)
    if fmt == "csv":
        return write_csv(rows, LAYOUT)
    return write_xlsx(rows, LAYOUT)
