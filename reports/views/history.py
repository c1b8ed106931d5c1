"""The history of an indicator: who changed which target, result, narrative, score,
status or file, when, from what to what (django-simple-history's records)."""

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from indicators.access import principal, require, visible_indicators
from indicators.models import Indicator, QuarterTarget
from indicators.people import display_name
from reports.models import AnnualSummary, AuditScore, EvidenceFile, QuarterReport
from reports.word_diff import word_diff

# What the history page shows, per model: the fields a person changes.
HISTORY_FIELDS = {
    Indicator: [
        "name",
        "annual_target",
        "unit_of_measure",
        "definition",
        "calculation_method",
        "data_source",
    ],
    QuarterTarget: ["target"],
    QuarterReport: ["result", "narrative", "status", "return_comment"],
    AuditScore: ["score", "criterion_1", "criterion_2", "is_verification", "comment"],
    AnnualSummary: ["text"],
    EvidenceFile: ["original_name"],
}


def history_records(model, indicator: Indicator):
    """The history of ``model``'s rows that belong to ``indicator``, each row's oldest first."""
    if model is Indicator:
        records = model.history.filter(id=indicator.pk)
    elif model is EvidenceFile:
        records = model.history.filter(report__indicator_id=indicator.pk)
    else:
        records = model.history.filter(indicator_id=indicator.pk)
    return records.select_related("history_user").order_by("id", "history_date", "history_id")


def record_changes(record, previous, fields: list[str]) -> list[tuple[str, object, object]]:
    """(field, old, new) of what ``record`` changed: against ``previous`` (simple-history's
    ``diff_against``), from nothing when it created the row, to nothing when it deleted it."""
    if record.history_type == "-":
        changes = (
            [] if previous is None else [(name, record.serializable_value(name), None) for name in fields]
        )
    elif previous is None:
        changes = [
            (name, None, value)
            for name in fields
            if (value := record.serializable_value(name)) not in (None, "")
        ]
    else:
        delta = record.diff_against(previous, included_fields=fields)
        changes = sorted(((c.field, c.old, c.new) for c in delta.changes), key=lambda c: fields.index(c[0]))
    return [(name, old, new) for name, old, new in changes if old != new]


def label(field: models.Field, value):
    """What a person reads for a stored value: a choice's label, yes/no; None for nothing."""
    if value is None or value == "":
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    return value


def shown_change(field: models.Field, old, new) -> dict:
    """A change as the page shows it: labels, and for a text changed in place, its words
    removed and added (``old_parts``/``new_parts``, else None)."""
    old, new = label(field, old), label(field, new)
    change = {"field": field.verbose_name, "old": old, "new": new, "old_parts": None, "new_parts": None}
    is_text = isinstance(field, models.CharField | models.TextField) and not field.choices
    if is_text and old is not None and new is not None:
        change["old_parts"], change["new_parts"] = word_diff(str(old), str(new))
    return change


def history_entries(indicator: Indicator) -> list[dict]:
    """Every recorded change of the indicator and what belongs to it, newest first
    (one query per model)."""
    entries = []
    for model, fields in HISTORY_FIELDS.items():
        previous_by_object = {}
        for record in history_records(model, indicator):
            previous, previous_by_object[record.id] = previous_by_object.get(record.id), record
            changes = record_changes(record, previous, fields)
            if changes or record.history_type == "-":
                entries.append(
                    {
                        "when": record.history_date,
                        "who": display_name(record.history_user),
                        "what": model._meta.verbose_name,
                        "quarter": None if model is EvidenceFile else getattr(record, "quarter", None),
                        "kind": record.get_history_type_display(),
                        "reason": record.history_change_reason,
                        "changes": [
                            shown_change(model._meta.get_field(name), old, new) for name, old, new in changes
                        ],
                    }
                )
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries


@require_safe
def indicator_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed which target, result, narrative, score or status, when, from what to what."""
    indicator = get_object_or_404(
        visible_indicators(request.user).select_related("org_unit", "fiscal_year"), pk=pk
    )
    require(principal(request.user).may_see_history)
    return render(
        request,
        "reports/indicator_history.html",
        {"indicator": indicator, "entries": history_entries(indicator)},
    )
