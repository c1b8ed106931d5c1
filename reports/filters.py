"""The indicator list's filters: the registry's, and progress in a quarter. The list, its
export and book orders select their indicators here, of those the user may see."""

from django import forms
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from indicators.access import visible_indicators
from indicators.forms import IndicatorFilterForm
from indicators.models import QUARTERS, Indicator
from indicators.widgets import QuickSelect
from reports.progress import QuarterProgress, in_progress, with_quarter_progress


class IndicatorListForm(IndicatorFilterForm):
    """The registry's filters, plus where the indicators stand in a quarter."""

    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=[("", _("All quarters")), *((q, q) for q in QUARTERS)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=QuickSelect,
    )
    progress = forms.ChoiceField(
        label=_("Progress in the quarter"),
        choices=[("", _("Any progress")), *QuarterProgress.choices],
        required=False,
        widget=QuickSelect,
    )

    def clean(self):
        data = super().clean()
        if data.get("progress") and not data.get("quarter"):
            self.add_error("quarter", _("Choose the quarter whose progress to filter by."))
        return data

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if not self.is_valid() or not self.cleaned_data["progress"]:
            return queryset
        # The list shows the progress of its page's rows only (list_rows); the export and
        # book orders need none.
        queryset = with_quarter_progress(queryset, self.cleaned_data["quarter"])
        return in_progress(queryset, self.cleaned_data["progress"])

    @property
    def chosen(self) -> dict:
        """The valid filters chosen, for titles and file names ({} when any is wrong)."""
        return self.cleaned_data if self.is_bound and self.is_valid() else {}


def listed_indicators(user, parameters: QueryDict) -> tuple[IndicatorListForm, QuerySet]:
    """The list's form for ``parameters`` and the indicators it lists (all pages) of those
    ``user`` may see: everything unfiltered, nothing when a filter is wrong."""
    form = IndicatorListForm(parameters or None)
    indicators = visible_indicators(user, Indicator.objects.for_list())
    if form.is_bound:
        indicators = form.filter(indicators)
    return form, indicators


# What a row of the list shows (templates/reports/indicator_list.html), and no more: not the
# definitions and other long texts of the sheet.
LIST_COLUMNS = (
    "code",
    "sequence",
    "name",
    "annual_target",
    "unit_of_measure",
    "direction",
    "fiscal_year__year",
    "org_unit__code",
    "org_unit__name",
)


def list_rows(form: IndicatorListForm, page: Page) -> QuerySet:
    """The indicators of a page of the list, with their progress when a quarter is chosen.

    In one query: the page's indicators are selected (sorted and sliced) in a subquery, and
    only those 50 rows are joined with their quarter's report, target and deadline, rather
    than the thousands of the year before sorting."""
    rows = Indicator.objects.for_list().only(*LIST_COLUMNS).filter(pk__in=page.object_list.values("pk"))
    quarter = form.chosen.get("quarter")
    return with_quarter_progress(rows, quarter) if quarter else rows
