"""Buddhist-Era years in what Django itself formats for Thai: the admin.

The portal's pages format dates with indicators.thai (``be_date``), but the admin
goes through Django's date formats, whose ``Y`` is the Christian year: the admin
showed "15 มกราคม 2027" beside "2570 Q1". While Thai is active, ``install()`` makes
``Y`` the BE year (every admin date display, the date hierarchy's months, filters),
and the admin's date inputs show and accept day/month/BE year (a Christian year is
still read as one; the calendar pop-up shows and writes BE years through
static/admin/js/buddhist_era_calendar.js). Dates are stored as they were; English
keeps Christian years.
"""

import datetime

from django import forms
from django.contrib.admin import options, site, widgets
from django.db import models
from django.utils import dateformat, translation

from indicators.thai import BE_OFFSET

# Years from here on are read as BE: the Christian year 2400 is far off, BE 2400 long past.
FIRST_BE_YEAR = 2400


def thai_active() -> bool:
    return (translation.get_language() or "").split("-")[0] == "th"


_christian_year = dateformat.DateFormat.Y


def _year(self) -> str:
    year = _christian_year(self)
    return str(int(year) + BE_OFFSET) if thai_active() else year


class BuddhistEraDateWidget(widgets.AdminDateWidget):
    """The admin's date input, showing dd/mm/BE year in Thai."""

    def format_value(self, value):
        if isinstance(value, datetime.date) and thai_active():
            return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"
        return super().format_value(value)


class BuddhistEraDateField(forms.DateField):
    """A date field reading dd/mm/yyyy with a BE year (or a Christian one) first."""

    widget = BuddhistEraDateWidget

    def to_python(self, value):
        if isinstance(value, str):
            parts = value.strip().split("/")
            if len(parts) == 3 and all(part.isdigit() for part in parts):
                day, month, year = (int(part) for part in parts)
                if year >= FIRST_BE_YEAR:
                    year -= BE_OFFSET
                try:
                    return datetime.date(year, month, day)
                except ValueError:
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)


DATE_FIELD_OVERRIDES = {"form_class": BuddhistEraDateField, "widget": BuddhistEraDateWidget}


def install() -> None:
    dateformat.DateFormat.Y = _year
    # Inlines are made per request from the defaults; the registered admins copied them
    # when the admin app discovered them, before this app was ready (none of ours
    # overrides a date field's widget).
    options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateField] = DATE_FIELD_OVERRIDES
    for model_admin in site._registry.values():
        model_admin.formfield_overrides[models.DateField] = dict(DATE_FIELD_OVERRIDES)
