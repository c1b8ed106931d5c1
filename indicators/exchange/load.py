"""Importing indicators: every row is parsed and checked first; with any error nothing is
written, else one transaction upserts all rows in bulk, with their history."""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from indicators import audit
from indicators.bulk import bulk_create_with_history, bulk_update_with_history
from indicators.exchange.cells import (
    CONTROL_CHARACTER,
    CellError,
    UnreadableCell,
    control_character_error,
    folded,
    is_blank,
    unquoted,
)
from indicators.exchange.columns import BY_KEY, IMPORT_COLUMNS, Column, column_names
from indicators.exchange.read import ImportFileError, read_table
from indicators.models import FiscalYear, Indicator, OrgUnit, QuarterTarget, StrategyNode, UnitOfMeasure

BATCH = 500


@dataclass(frozen=True)
class RowError:
    """A problem, located as the user sees it in Excel."""

    row: int
    column: str  # the column's key ("" when the whole row is meant)
    message: str
    letter: str = ""  # the spreadsheet column letter

    def __str__(self):
        where = f"{self.column} ({self.letter})" if self.letter else self.column
        return f"row {self.row}, column {where}: {self.message}"


@dataclass
class ParsedRow:
    row: int
    values: dict  # column key -> parsed value
    letters: dict  # column key -> spreadsheet letter
    fields: dict = field(default_factory=dict)  # Indicator attname -> value, after lookups
    targets: dict = field(default_factory=dict)  # quarter -> Decimal or None, for target columns present


@dataclass
class Plan:
    rows: list[ParsedRow]
    columns: list[Column]  # the importable columns present in the file
    errors: list[RowError]
    new_units: list[str] = field(default_factory=list)  # units of measure not in the table yet


def validate(table: list[tuple[int, list]], add_new_units: bool = False) -> Plan:
    """Parse and check every row; nothing is written. A unit of measure not yet in the
    table is an error on its rows unless ``add_new_units``; either way it is listed in
    ``Plan.new_units``."""
    # A row of nothing but blanks and formulas without values (say, a lookup filled down
    # a template) is blank; in a row with data, such a cell is an error.
    table = [
        (number, cells)
        for number, cells in table
        if not all(is_blank(cell) or isinstance(cell, UnreadableCell) for cell in cells)
    ]
    if not table:
        raise ImportFileError(gettext("The file is empty: row 1 must hold the column keys."))
    header_row, header = table[0]
    positions, errors = read_header(header_row, header)
    if errors:
        return Plan([], [], sorted(errors, key=error_order))
    body = table[1:]
    if body and is_label_row(body[0][1], positions["fiscal_year"]):
        body = body[1:]
    if not body:
        raise ImportFileError(gettext("The file has no indicator rows."))
    columns = [BY_KEY[key] for key in positions if BY_KEY[key].imported]
    rows = []
    for number, cells in body:
        values, letters = {}, {}
        for column in columns:
            index = positions[column.key]
            letters[column.key] = get_column_letter(index + 1)
            raw = cells[index] if index < len(cells) else None
            if isinstance(raw, UnreadableCell):
                errors.append(RowError(number, column.key, raw.message, letters[column.key]))
                values[column.key] = None
                continue
            if isinstance(raw, str):
                if error := control_character_error(raw):
                    errors.append(RowError(number, column.key, str(error), letters[column.key]))
                    values[column.key] = None
                    continue
                raw = unquoted(raw)
            if is_blank(raw):
                if column.required:
                    errors.append(
                        RowError(number, column.key, gettext("This cell is required."), letters[column.key])
                    )
                values[column.key] = None
                continue
            try:
                values[column.key] = column.parse(raw)
            except CellError as error:
                errors.append(RowError(number, column.key, str(error), letters[column.key]))
                values[column.key] = None
        rows.append(ParsedRow(number, values, letters))
    new_units = sorted({r.values.get("unit_of_measure") for r in rows} - {None} - known_unit_names(rows))
    errors.extend(resolve(rows, columns, set() if add_new_units else set(new_units)))
    return Plan(rows, columns, sorted(errors, key=error_order), new_units)


def known_unit_names(rows: list[ParsedRow]) -> set[str]:
    names = {r.values.get("unit_of_measure") for r in rows} - {None}
    return set(UnitOfMeasure.objects.filter(name__in=names).values_list("name", flat=True))


def error_order(error: RowError):
    """Top to bottom, left to right (column "AA" after "Z"); a missing column first."""
    return (error.row, error.letter.rjust(3))


def read_header(number: int, header: list) -> tuple[dict, list[RowError]]:
    names = {}
    for column in BY_KEY.values():  # the read-only columns of the export too
        for name in column_names(column):
            names.setdefault(name, column.key)
    positions, errors = {}, []
    for index, cell in enumerate(header):
        if is_blank(cell):
            continue
        letter = get_column_letter(index + 1)
        if isinstance(cell, UnreadableCell):
            errors.append(RowError(number, "", cell.message, letter))
            continue
        text = str(cell).strip()
        key = names.get(folded(text))
        if key is None:
            shown = CONTROL_CHARACTER.sub("\ufffd", text)
            shown = shown if len(shown) <= 60 else f"{shown[:60]}…"
            errors.append(
                RowError(number, shown, gettext("Unknown column: correct its name or remove it."), letter)
            )
        elif key in positions:
            errors.append(
                RowError(
                    number,
                    key,
                    gettext("This column appears twice (also in column %(letter)s).")
                    % {"letter": get_column_letter(positions[key] + 1)},
                    letter,
                )
            )
        else:
            positions[key] = index
    for column in IMPORT_COLUMNS:
        if column.required and column.key not in positions:
            errors.append(RowError(number, column.key, gettext("This required column is missing.")))
    return positions, errors


def is_label_row(cells: list, fiscal_year_index: int) -> bool:
    value = cells[fiscal_year_index] if fiscal_year_index < len(cells) else None
    return not is_blank(value) and folded(value) in column_names(BY_KEY["fiscal_year"]) - {"fiscal_year"}


def resolve(rows: list[ParsedRow], columns: list[Column], unknown_units: set[str]) -> list[RowError]:
    """Look up fiscal years, units and strategy nodes (one query each) and find keys
    that appear twice; fill each row's ``fields`` and ``targets``. A unit of measure in
    ``unknown_units`` is an error."""
    present = {column.key for column in columns}
    years = {
        y.year: y.pk
        for y in FiscalYear.objects.filter(year__in={r.values["fiscal_year"] for r in rows} - {None})
    }
    units = {
        u.code: u.pk for u in OrgUnit.objects.filter(code__in={r.values["unit_code"] for r in rows} - {None})
    }
    nodes = {}
    if "strategy_code" in present:
        codes = {r.values["strategy_code"] for r in rows} - {None}
        nodes = {n.code: n.pk for n in StrategyNode.objects.filter(code__in=codes)}
    messages = {
        "fiscal_year": (
            years,
            _("Fiscal year %(value)s does not exist: add it first (administration, fiscal years)."),
        ),
        "org_unit": (units, _("Unit %(value)s does not exist: add it first (administration, org units).")),
        "strategy_node": (nodes, _("Strategy code %(value)s does not exist in the strategy tree.")),
        "unit_of_measure": (
            {name: name for name in {r.values.get("unit_of_measure") for r in rows} - unknown_units},
            _(
                "The unit of measure %(value)s is not in the table yet: add it (the button below the "
                'errors), or tick "add the new units of measure" and import again.'
            ),
        ),
    }
    errors, seen = [], {}
    for row in rows:
        for column in columns:
            value = row.values[column.key]
            if column.quarter:
                row.targets[column.quarter] = value
                continue
            if column.lookup and value is not None:
                known, message = messages[column.lookup]
                if value not in known:
                    errors.append(
                        RowError(
                            row.row, column.key, str(message) % {"value": value}, row.letters[column.key]
                        )
                    )
                    continue
                value = known[value]
            if value is None and not column.required:
                value = default_of(column)
            row.fields[column.attname] = value
        key = (row.values["fiscal_year"], row.values["unit_code"], row.values["indicator_code"])
        if None not in key:
            if key in seen:
                errors.append(
                    RowError(
                        row.row,
                        "indicator_code",
                        gettext("The same indicator (%(year)s %(unit)s-%(code)s) is already on row %(row)d.")
                        % {"year": key[0], "unit": key[1], "code": key[2], "row": seen[key]},
                        row.letters["indicator_code"],
                    )
                )
            else:
                seen[key] = row.row
    return errors


def default_of(column: Column):
    """What a blank optional cell means: the model field's default ("" for text, None for a link)."""
    model_field = Indicator._meta.get_field(column.attname.removesuffix("_id"))
    if model_field.is_relation:
        return None
    if model_field.has_default():
        return model_field.get_default()
    return ""


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    targets_created: int = 0
    targets_updated: int = 0
    targets_deleted: int = 0
    new_units: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = gettext(
            "%(rows)d rows: %(created)d indicators created, %(updated)d updated, %(unchanged)d unchanged; "
            "quarter targets: %(targets_created)d created, %(targets_updated)d updated, "
            "%(targets_deleted)d removed."
        ) % vars(self)
        if self.new_units:
            added = gettext("Units of measure added: %(units)s.") % {"units": ", ".join(self.new_units)}
            text = f"{text} {added}"
        if self.dry_run:
            note = gettext("Check only: nothing was saved.")  # outside the f-string: xgettext finds it
            text = f"{text} {note}"
        return text


def import_file(
    file, name: str, user=None, dry_run: bool = False, request=None, add_new_units: bool = False
) -> ImportResult:
    """Validate the whole file, then import every row or none; with ``add_new_units``,
    units of measure the file names that are not in the table yet are added with it.

    Raises ImportFileError when the file itself cannot be read; errors in rows
    and cells come back in ``result.errors`` (and nothing is written). An import
    (not a dry run) is written to the audit log: who, the file's name, the counts."""
    plan = validate(read_table(file, name), add_new_units=add_new_units)
    if plan.errors:
        result = ImportResult(errors=plan.errors, rows=len(plan.rows), new_units=plan.new_units)
    else:
        with transaction.atomic():
            reason = CONTROL_CHARACTER.sub("", f"import {Path(name).name}")[:100]
            result = write(plan, user, reason=reason)
            if dry_run:
                transaction.set_rollback(True)
                result.dry_run = True
    if not dry_run:
        audit.record(
            audit.AuditEvent.Kind.IMPORTED,
            request=request,
            user=user,
            file=CONTROL_CHARACTER.sub("", Path(name).name)[:200],
            imported=result.ok,
            errors=len(result.errors),
            **{key: getattr(result, key) for key in AUDITED_COUNTS},
        )
    return result


AUDITED_COUNTS = (
    "rows",
    "created",
    "updated",
    "unchanged",
    "targets_created",
    "targets_updated",
    "targets_deleted",
)


def write(plan: Plan, user, reason: str) -> ImportResult:
    """Upsert the plan's rows in bulk: a fixed number of queries per 500 rows."""
    now = timezone.now()
    result = ImportResult(rows=len(plan.rows), new_units=plan.new_units)
    if plan.new_units:
        bulk_create_with_history(
            [UnitOfMeasure(name=name) for name in plan.new_units],
            UnitOfMeasure,
            default_user=user,
            default_change_reason=reason,
        )
    attnames = [column.attname for column in plan.columns if column.attname]
    updatable = [name for name in attnames if name not in ("fiscal_year_id", "org_unit_id", "code")]
    year_ids = {row.fields["fiscal_year_id"] for row in plan.rows}
    unit_ids = {row.fields["org_unit_id"] for row in plan.rows}
    scope = {"fiscal_year_id__in": year_ids, "org_unit_id__in": unit_ids}
    existing = {
        (i.fiscal_year_id, i.org_unit_id, i.code): i
        for i in Indicator.objects.select_for_update().filter(**scope)
    }
    new, changed, indicators, changed_fields = [], [], [], set()
    for row in plan.rows:
        key = (row.fields["fiscal_year_id"], row.fields["org_unit_id"], row.fields["code"])
        indicator = existing.get(key)
        if indicator is None:
            indicator = Indicator(**row.fields)
            new.append(indicator)
        elif differing := [name for name in updatable if getattr(indicator, name) != row.fields[name]]:
            for name in differing:
                setattr(indicator, name, row.fields[name])
            changed_fields.update(differing)
            indicator.updated_at = now  # bulk_update skips auto_now
            changed.append(indicator)
        else:
            result.unchanged += 1
        indicators.append(indicator)
    if new:
        bulk_create_with_history(
            new, Indicator, batch_size=BATCH, default_user=user, default_change_reason=reason
        )
        if any(indicator.pk is None for indicator in new):  # databases that do not return keys
            created = {
                (i.fiscal_year_id, i.org_unit_id, i.code): i.pk for i in Indicator.objects.filter(**scope)
            }
            for indicator in new:
                indicator.pk = created[(indicator.fiscal_year_id, indicator.org_unit_id, indicator.code)]
    if changed:
        bulk_update_with_history(
            changed,
            Indicator,
            # Only the columns that changed somewhere: each is a CASE over the batch's rows.
            sorted(changed_fields | {"updated_at"}),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=reason,
        )
    result.created, result.updated = len(new), len(changed)
    write_targets(plan, indicators, scope, user, reason, result)
    return result


def write_targets(plan: Plan, indicators: list[Indicator], scope: dict, user, reason: str, result) -> None:
    if not any(column.quarter for column in plan.columns):
        return
    existing = {
        (t.indicator_id, t.quarter): t
        for t in QuarterTarget.objects.filter(
            **{f"indicator__{name}": value for name, value in scope.items()}
        )
    }
    new, changed, removed = [], [], []
    for row, indicator in zip(plan.rows, indicators, strict=True):
        for quarter, value in row.targets.items():
            target = existing.get((indicator.pk, quarter))
            if value is None:
                if target is not None:
                    removed.append(target)
            elif target is None:
                new.append(QuarterTarget(indicator_id=indicator.pk, quarter=quarter, target=value))
            elif target.target != value:
                target.target = value
                changed.append(target)
    if new:
        bulk_create_with_history(
            new, QuarterTarget, batch_size=BATCH, default_user=user, default_change_reason=reason
        )
    if changed:
        bulk_update_with_history(
            changed,
            QuarterTarget,
            ["target"],
            batch_size=BATCH,
            default_user=user,
            default_change_reason=reason,
        )
    for target in removed:
        # One by one, so that simple-history records who removed it (removals are rare).
        target._history_user, target._change_reason = user, reason
        target.delete()
    result.targets_created, result.targets_updated, result.targets_deleted = (
        len(new),
        len(changed),
        len(removed),
    )
