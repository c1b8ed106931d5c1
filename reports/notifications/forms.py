from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reports.models import NotificationKind


class PreferencesForm(forms.Form):
    """Per kind of notification, in the portal and by mail; and the mails' language."""

    language = forms.ChoiceField(label=_("Language of the mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for kind, label, channels in table:
            in_app = forms.BooleanField(label=_("in the portal"), required=False, initial=channels.in_app)
            email = forms.BooleanField(label=_("by email"), required=False, initial=channels.email)
            self.fields[f"{kind}_in_app"] = in_app
            self.fields[f"{kind}_email"] = email
            self.rows.append((kind, label))

    def bound_rows(self):
        return [(label, self[f"{kind}_in_app"], self[f"{kind}_email"]) for kind, label in self.rows]

    def channels(self):
        return {
            kind: (self.cleaned_data[f"{kind}_in_app"], self.cleaned_data[f"{kind}_email"])
            for kind in NotificationKind.values
        }
