from django import forms
from django.utils.translation import gettext_lazy as _

from indicators import thai
from indicators.models import QUARTERS, FiscalYear, Indicator, OrgUnit, QuarterProgress, StrategyNode


class StrategyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        title = obj.title if len(obj.title) <= 60 else obj.title[:60] + "…"
        return f"{thai.to_thai_digits(obj.code)} {title}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class IndicatorFilterForm(forms.Form):
    """The indicator list's filters, all optional; an unknown value shows its error, lists nothing."""

    q = forms.CharField(label=_("Search name or code"), required=False, max_length=200)
    year = forms.ModelChoiceField(
        label=_("Fiscal year"),
        queryset=FiscalYear.objects.all(),
        to_field_name="year",
        required=False,
        empty_label=_("All years"),
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All units"),
    )
    strategy = StrategyChoiceField(
        label=_("Strategy"),
        queryset=StrategyNode.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All strategies"),
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("All types")), *Indicator.Type.choices],
        required=False,
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=[("", _("All quarters")), *((q, q) for q in QUARTERS)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    progress = forms.ChoiceField(
        label=_("Progress in the quarter"),
        choices=[("", _("Any progress")), *QuarterProgress.choices],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-select-sm form-control-sm"

    def clean(self):
        data = super().clean()
        if data.get("progress") and not data.get("quarter"):
            self.add_error("quarter", _("Choose the quarter whose progress to filter by."))
        return data

    def filter(self, queryset):
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["year"]:
            queryset = queryset.filter(fiscal_year=data["year"])
        if data["unit"]:
            queryset = queryset.filter(org_unit=data["unit"])
        if data["strategy"]:
            queryset = queryset.under_strategy(data["strategy"])
        if data["type"]:
            queryset = queryset.filter(indicator_type=data["type"])
        if data["quarter"]:
            # Annotated even without a progress filter: the list then shows each one's progress.
            queryset = queryset.with_quarter_progress(data["quarter"])
            if data["progress"]:
                queryset = queryset.progress(data["progress"])
        return queryset.search(data["q"])
