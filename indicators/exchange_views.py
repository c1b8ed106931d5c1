"""Indicator exchange files on the web: the export of the listed indicators, the
blank import template and the import form of the admin page (``IndicatorAdmin``).
The layout is in ``indicators/exchange.py``."""

import re

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from indicators import exchange
from indicators.access import principal, require, visible_indicators
from indicators.forms import IndicatorFilterForm
from indicators.models import Indicator

IMPORT_MAX_BYTES = 10 * 1024 * 1024  # 2,500 indicators take about 0.5 MB
CONTENT_TYPES = {"xlsx": exchange.XLSX_TYPE, "csv": exchange.CSV_TYPE}


def attachment(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    response["Content-Disposition"] = f'attachment; filename="{safe_name}.{fmt}"'
    return response


@require_safe
@cache_control(private=True, no_store=True)
def indicator_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The indicators the list shows for the same filters (all pages), with their
    targets, results, scores and statuses; staff get their own units only."""
    form = IndicatorFilterForm(request.GET or None)
    indicators = visible_indicators(request.user, Indicator.objects.for_list())
    criteria = exchange.DEFAULT_CRITERIA
    name = "indicators"
    if form.is_bound:
        indicators = form.filter(indicators)
        data = form.cleaned_data if form.is_valid() else {}
        if data.get("year"):
            year = data["year"]
            criteria = (year.criterion_1_label, year.criterion_2_label)
            name = f"{name}-{year.year}"
        if data.get("unit"):
            name = f"{name}-{data['unit'].code}"
    return attachment(exchange.export_file(indicators, fmt, criteria), fmt, name)


@require_safe
@cache_control(private=True, no_store=True)
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The blank import template, for those who import (administrators)."""
    require(principal(request.user).is_administrator or request.user.has_perm("indicators.add_indicator"))
    return attachment(exchange.template_file(fmt), fmt, "indicators-template")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    dry_run = forms.BooleanField(label=_("Check only (validate the file without saving)"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Choose an .xlsx or .csv file."))
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file may be at most %(size)d MB.") % {"size": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload
