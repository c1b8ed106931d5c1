from django import forms
from django.utils.translation import gettext_lazy as _

from indicators import thai
from indicators.models import FiscalYear, Indicator, OrgUnit, StrategyNode
from indicators.widgets import QuickSelect


class OneQueryChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices from one ordinary query. Django's iterator uses ``queryset.iterator()``,
    a server-side cursor on PostgreSQL (DECLARE, FETCH, CLOSE: three round trips) for what
    are here lists of some dozens of rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ListChoiceField(forms.ModelChoiceField):
    iterator = OneQueryChoiceIterator


class StrategyChoiceField(ListChoiceField):
    def label_from_instance(self, obj):
        title = obj.title if len(obj.title) <= 60 else obj.title[:60] + "…"
        return f"{thai.to_thai_digits(obj.code)} {title}"


class UnitChoiceField(ListChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class IndicatorFilterForm(forms.Form):
    """The registry's filters of indicators, all optional; an unknown value shows its error,
    lists nothing. (The indicator list adds progress in a quarter: reports/filters.py.)"""

    q = forms.CharField(label=_("Search name or code"), required=False, max_length=200)
    year = ListChoiceField(
        label=_("Fiscal year"),
        queryset=FiscalYear.objects.all(),
        to_field_name="year",
        required=False,
        empty_label=_("All years"),
        widget=QuickSelect,
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All units"),
        widget=QuickSelect,
    )
    strategy = StrategyChoiceField(
        label=_("Strategy"),
        queryset=StrategyNode.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All strategies"),
        widget=QuickSelect,
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("All types")), *Indicator.Type.choices],
        required=False,
        widget=QuickSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-select-sm form-control-sm"

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
        return queryset.search(data["q"])
