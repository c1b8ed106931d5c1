"""The indicator list's filters: the registry's, and progress in a quarter. The list, its
export and book orders select their indicators here, of those the user may see."""

from django import forms
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
        if not self.is_valid() or not self.cleaned_data["quarter"]:
            return queryset
        # Annotated even without a progress filter: the list then shows each one's progress.
        queryset = with_quarter_progress(queryset, self.cleaned_data["quarter"])
        if self.cleaned_data["progress"]:
            queryset = in_progress(queryset, self.cleaned_data["progress"])
        return queryset

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
