"""Translatable names for the third-party apps and models the admin lists.

django-axes, django-otp and django-tasks-db name their apps (and some models) with plain
strings, so the admin showed "Axes", "Otp_Totp", "TOTP device" in the Thai interface.
django-simple-history names its history models "historical <name>" with a plain format.
Here they get lazy translations (the Thai is in locale/th/LC_MESSAGES/django.po). A
model's English name is kept as it was, so its migrations see no change.
"""

from django.apps import apps
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

APP_NAMES = {
    "axes": _("Axes"),
    "otp_static": _("Two-step sign-in: backup codes"),
    "otp_totp": _("Two-step sign-in: authenticator apps"),
    "django_tasks_database": _("Tasks Database Backend"),
}

# Apps whose fields' labels and help texts are plain strings: wrapped in gettext with the same
# English (the Thai is in our catalogue: kpi_portal/third_party_messages.py names them).
APPS_WITH_PLAIN_FIELD_TEXTS = ["otp_totp", "otp_static"]

MODEL_NAMES = {
    ("otp_static", "staticdevice"): (_("static device"), _("static devices")),
    ("otp_static", "statictoken"): (_("static token"), _("static tokens")),
    ("otp_totp", "totpdevice"): (_("TOTP device"), _("TOTP devices")),
}


def name_third_party_apps() -> None:
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    for label in APPS_WITH_PLAIN_FIELD_TEXTS:
        if label not in apps.app_configs:
            continue
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                field.verbose_name = _(str(field.verbose_name))
                if field.help_text:
                    field.help_text = _(str(field.help_text))
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        if label in apps.app_configs:
            meta = apps.get_model(label, model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural


def name_history_models() -> None:
    """ "historical fiscal year" → ประวัติปีงบประมาณ (simple-history's own English kept)."""
    for model in apps.get_models():
        original = getattr(model, "instance_type", None)
        if original is None or model.__name__ != f"Historical{original.__name__}":
            continue
        with translation.override(None):  # a name the model gave its history is kept
            named_by_default = str(model._meta.verbose_name) == f"historical {original._meta.verbose_name}"
        if named_by_default:
            model._meta.verbose_name = format_lazy(_("historical {}"), original._meta.verbose_name)
            model._meta.verbose_name_plural = format_lazy(
                _("historical {}"), original._meta.verbose_name_plural
            )
