"""The admin's import form (``IndicatorAdmin.import_view``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

IMPORT_MAX_BYTES = 10 * 1024 * 1024  # 2,500 indicators take about 0.5 MB


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    dry_run = forms.BooleanField(label=_("Check only (validate the file without saving)"), required=False)
    add_new_units = forms.BooleanField(
        label=_("Add the new units of measure the file names (as decimal units without an upper bound)"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Choose an .xlsx or .csv file."))
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file may be at most %(size)d MB.") % {"size": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload
