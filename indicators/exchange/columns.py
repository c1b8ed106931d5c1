"""The column layout of the import, the blank template and the export's registry part.

``IMPORT_COLUMNS`` are what an import reads (the indicator's fields and its quarter
targets). Other apps add read-only columns to the export (the reports app: results,
statuses and scores) with ``add_read_only_columns``; the import recognises their
headings and ignores them, so that an export can be imported again.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.exchange.cells import (
    folded,
    parse_bool,
    parse_choice,
    parse_code,
    parse_decimal,
    parse_fiscal_year,
    parse_text,
    parse_unit_name,
    parse_whole,
    yes_no,
)
from indicators.models import QUARTERS, Indicator

DEFAULT_CRITERIA = ("2.1", "2.2")
NUMBER_HELP = _("A number, 0 or more, with at most 2 decimal places.")
FORMULAS_HELP = _(
    "A cell with a formula is read as the value Excel shows: open and save in Excel a file "
    "that a program wrote, before importing it."
)
TEXT_HELP = _("Text; line breaks are kept.")
READ_ONLY_HELP = _("Read only (export): the import ignores it.")


@dataclass
class ExportRow:
    """One indicator with its quarter targets, as the export writes it."""

    indicator: Indicator
    targets: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    key: str
    label: Callable  # (criterion labels) -> str, in the active language
    value: Callable  # ExportRow -> cell value
    parse: Callable | None = None  # None: read-only, the import ignores it
    attname: str = ""  # the Indicator attribute the import sets ("" for targets)
    required: bool = False
    lookup: str = ""  # "fiscal_year", "org_unit", "strategy_node", "unit_of_measure": resolved after parsing
    quarter: int = 0  # for target_qN
    text: bool = False  # written as text, so Excel keeps leading zeros
    width: int = 12
    help: Callable = str  # () -> str: what to enter, for the template's second sheet

    @property
    def imported(self) -> bool:
        return self.parse is not None

    def heading(self, criteria=DEFAULT_CRITERIA) -> str:
        return str(self.label(criteria))


def fixed(text) -> Callable:
    return lambda *args: text


def choices_help(choices, blank=None) -> Callable:
    def help_text():
        allowed = ", ".join(f"{value} ({label})" for value, label in choices.choices)
        text = gettext("One of: %(allowed)s.") % {"allowed": allowed}
        return f"{text} {blank}" if blank else text

    return help_text


def field_value(name: str) -> Callable:
    return lambda row: getattr(row.indicator, name)


def display_value(name: str) -> Callable:
    return lambda row: getattr(row.indicator, f"get_{name}_display")() if getattr(row.indicator, name) else ""


def yes_no_value(name: str) -> Callable:
    return lambda row: yes_no(getattr(row.indicator, name))


def indicator_column(name: str, *, key: str = "", choices=None, parse=None, help=None, blank=None, **options):
    """The column of the Indicator field ``name``, labelled like the field. How a cell is
    read, written and explained follows from the field: text (up to its length), a
    number, yes/no, or one of ``choices`` (written as its label, read as value or label)."""
    model_field = Indicator._meta.get_field(name)
    value, kind_help = field_value(name), None
    if choices is not None:
        parse, value, kind_help = parse_choice(choices), display_value(name), choices_help(choices, blank)
    elif isinstance(model_field, models.BooleanField):
        parse, value = parse_bool, yes_no_value(name)
    elif isinstance(model_field, models.DecimalField):
        parse, kind_help = parse_decimal, fixed(NUMBER_HELP)
    elif isinstance(model_field, models.TextField):
        parse, kind_help = parse_text(), fixed(TEXT_HELP)
    elif parse is None:
        parse = parse_text(model_field.max_length)
    return Column(
        key or name,
        lambda criteria: model_field.verbose_name,
        value,
        parse,
        name,
        help=fixed(help) if help is not None else kind_help,
        **options,
    )


REGISTRY_COLUMNS = [
    Column(
        "fiscal_year",
        fixed(_("fiscal year (B.E.)")),
        lambda row: row.indicator.fiscal_year.year,
        parse_fiscal_year,
        "fiscal_year_id",
        required=True,
        lookup="fiscal_year",
        width=10,
        help=fixed(_("Buddhist-Era year, e.g. 2568; the fiscal year must exist.")),
    ),
    Column(
        "unit_code",
        fixed(_("unit code")),
        lambda row: row.indicator.org_unit.code,
        parse_code,
        "org_unit_id",
        required=True,
        lookup="org_unit",
        text=True,
        width=10,
        help=fixed(_("e.g. 5016; the unit must exist.")),
    ),
    Column(
        "unit_name",
        fixed(_("unit name")),
        lambda row: row.indicator.org_unit.name,
        width=30,
        help=fixed(_("For reading only: the import ignores it.")),
    ),
    indicator_column(
        "code",
        key="indicator_code",
        required=True,
        text=True,
        width=10,
        help=_(
            "e.g. 0685. With the fiscal year and the unit it identifies the indicator: "
            "importing it again updates it."
        ),
    ),
    indicator_column(
        "sequence",
        parse=parse_whole(1),
        required=True,
        width=8,
        help=_("A whole number from 1: the indicator's number in its unit's list."),
    ),
    indicator_column("agreement_ref", text=True, width=10, help=_("e.g. 3.2")),
    indicator_column("name", required=True, width=60),
    indicator_column("annual_target", required=True),
    Column(
        "unit_of_measure",
        lambda criteria: Indicator._meta.get_field("unit_of_measure").verbose_name,
        lambda row: row.indicator.unit_of_measure_id,
        parse_unit_name,
        "unit_of_measure_id",
        required=True,
        lookup="unit_of_measure",
        help=fixed(
            _(
                "The unit's name, e.g. ร้อยละ, ราย, ตัน (administration, units of measure). The check "
                "lists a unit not yet there: add it from the check's page, or tick "
                '"add the new units of measure" to add it with the import.'
            )
        ),
    ),
    indicator_column("indicator_type", choices=Indicator.Type, required=True, width=24),
    indicator_column("result_level", choices=Indicator.ResultLevel, blank=_("Blank: none."), width=24),
    indicator_column("direction", choices=Indicator.Direction, blank=_("Blank: higher is better.")),
    indicator_column("is_cumulative", width=10, help=_("yes or no (also 1/0); blank: yes.")),
    indicator_column("definition", width=40),
    indicator_column("calculation_method", width=40),
    indicator_column("data_source", width=40),
    Column(
        "strategy_code",
        fixed(_("strategy code")),
        lambda row: row.indicator.strategy_node.code if row.indicator.strategy_node_id else "",
        parse_code,
        "strategy_node_id",
        lookup="strategy_node",
        text=True,
        help=fixed(_("A code of the city's strategy tree, e.g. 7.3.1.1 or ๗.๓.๑.๑; blank: none.")),
    ),
]

TARGET_COLUMNS = [
    Column(
        f"target_q{quarter}",
        lambda criteria, quarter=quarter: gettext("target, quarter %(quarter)s") % {"quarter": quarter},
        lambda row, quarter=quarter: row.targets.get(quarter),
        parse_decimal,
        quarter=quarter,
        help=fixed(_("The planned (cumulative) target: a number, 0 or more; blank: no target.")),
    )
    for quarter in QUARTERS
]

IMPORT_COLUMNS = REGISTRY_COLUMNS + TARGET_COLUMNS
BY_KEY = {column.key: column for column in IMPORT_COLUMNS}  # and the read-only columns added


def quarter_columns(key: str, label: Callable, value: Callable) -> list[Column]:
    """One read-only column per quarter; ``label(criteria, quarter)``, ``value(quarter)``."""
    return [
        Column(
            f"{key}_q{quarter}",
            lambda criteria, quarter=quarter: label(criteria, quarter),
            value(quarter),
            help=fixed(READ_ONLY_HELP),
        )
        for quarter in QUARTERS
    ]


def add_read_only_columns(columns: list[Column]) -> None:
    """Make the import recognise (and ignore) ``columns``, which another app exports after
    IMPORT_COLUMNS. Called once at start-up (an AppConfig's ``ready``); idempotent."""
    for column in columns:
        if column.imported:
            raise ValueError(f"{column.key}: only read-only columns can be added")
        BY_KEY.setdefault(column.key, column)


def column_names(column: Column) -> set[str]:
    """The key and both labels of a column, folded: what a header cell may say."""
    names = {folded(column.key)}
    for language in ("th", "en"):
        with translation.override(language):
            names.add(folded(column.heading()))
    return names
