"""QuickSelect writes the HTML Django's own Select writes through its templates."""

import pytest
from django import forms

from indicators.widgets import QuickSelect

CHOICES = [
    ("", "ทั้งหมด"),
    ("1", "หนึ่ง"),
    (2, '<สอง> & "สาม"'),
    ("กลุ่ม", [("a", "เอ"), ("b", "บี")]),
    ('x"y', 5),
]


@pytest.mark.parametrize("value", [None, "", "1", 2, "b", 'x"y', ["1", "a"]])
@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"class": "form-select form-select-sm", "id": "id_f"},
        {
            "id": "id_f",
            "aria-invalid": "true",
            "aria-describedby": "id_f_error",
            "disabled": True,
            "hidden": False,
        },
    ],
)
def test_the_same_html_as_djangos_select(value, attrs):
    expected = forms.Select(choices=CHOICES).render("f", value, attrs=dict(attrs))
    assert QuickSelect(choices=CHOICES).render("f", value, attrs=dict(attrs)) == expected


@pytest.mark.django_db
def test_the_indicator_list_filters_render_the_same():
    from reports.filters import IndicatorListForm

    form = IndicatorListForm({"quarter": "9", "unit": "nope", "year": "", "progress": "late"})
    form.is_valid()
    for name, field in form.fields.items():
        assert isinstance(field.widget, QuickSelect) or not isinstance(field.widget, forms.Select)
        if isinstance(field.widget, QuickSelect):
            quick = form[name].as_widget()
            django_select = forms.Select(attrs=field.widget.attrs, choices=field.widget.choices)
            assert form[name].as_widget(widget=django_select) == quick
