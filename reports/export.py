"""The export of listed indicators (.xlsx, .csv): the registry's columns
(indicators/exchange) followed by read-only columns of each quarter's result,
status, score and criteria, which the import recognises and ignores."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from indicators.exchange.columns import DEFAULT_CRITERIA, IMPORT_COLUMNS, ExportRow, quarter_columns
from indicators.exchange.write import write_csv, write_xlsx
from indicators.models import QuarterTarget
from reports.models import AuditScore, QuarterReport


@dataclass
class ReportExportRow(ExportRow):
    """One indicator with its quarters' targets, reports and scores."""

    reports: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)


def report_value(quarter: int, read: Callable) -> Callable:
    def value(row):
        report = row.reports.get(quarter)
        return read(report) if report else None

    return value


def score_value(quarter: int, name: str) -> Callable:
    def value(row):
        score = row.scores.get(quarter)
        return getattr(score, name) if score else None

    return value


RESULT_COLUMNS = [
    *quarter_columns(
        "result",
        lambda criteria, quarter: gettext("result, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: report_value(quarter, lambda report: report.result),
    ),
    *quarter_columns(
        "status",
        lambda criteria, quarter: gettext("status, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: report_value(quarter, lambda report: report.get_status_display()),
    ),
    *quarter_columns(
        "score",
        lambda criteria, quarter: gettext("score, quarter %(quarter)s") % {"quarter": quarter},
        lambda quarter: score_value(quarter, "score"),
    ),
    *[
        column
        for number in (1, 2)
        for column in quarter_columns(
            f"criterion_{number}",
            lambda criteria, quarter, number=number: (
                gettext("criterion %(label)s, quarter %(quarter)s")
                % {"label": criteria[number - 1], "quarter": quarter}
            ),
            lambda quarter, number=number: score_value(quarter, f"criterion_{number}"),
        )
    ],
]
COLUMNS = IMPORT_COLUMNS + RESULT_COLUMNS  # the export's layout


def export_queryset(indicators: QuerySet) -> QuerySet:
    """What the export shows, in four queries per 2,000 indicators."""
    return indicators.select_related("fiscal_year", "org_unit", "strategy_node").prefetch_related(
        Prefetch("targets", queryset=QuarterTarget.objects.only("indicator_id", "quarter", "target")),
        Prefetch(
            "reports", queryset=QuarterReport.objects.only("indicator_id", "quarter", "result", "status")
        ),
        Prefetch(
            "scores",
            queryset=AuditScore.objects.only(
                "indicator_id", "quarter", "score", "criterion_1", "criterion_2"
            ),
        ),
    )


def export_rows(indicators: QuerySet) -> Iterable[ReportExportRow]:
    for indicator in export_queryset(indicators).iterator(chunk_size=2000):
        yield ReportExportRow(
            indicator,
            targets={t.quarter: t.target for t in indicator.targets.all()},
            reports={r.quarter: r for r in indicator.reports.all()},
            scores={s.quarter: s for s in indicator.scores.all()},
        )


def export_file(indicators: QuerySet, fmt: str, criteria=DEFAULT_CRITERIA) -> bytes:
    rows = export_rows(indicators)
    if fmt == "csv":
        return write_csv(rows, COLUMNS, criteria)
    return write_xlsx(rows, COLUMNS, criteria)
