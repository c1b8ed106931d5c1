"""Translatable names for the third-party apps and models the admin lists.

django-axes, django-otp and django-tasks-db name their apps (and some models) with plain
strings, so the admin showed "Axes", "Otp_Totp", "TOTP device" in the Thai interface.
Here they get lazy translations (the Thai is in locale/th/LC_MESSAGES/django.po). A
model's English name is kept as it was, so its migrations see no change.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

APP_NAMES = {
    "axes": _("Axes"),
    "otp_static": _("Two-step sign-in: backup codes"),
    "otp_totp": _("Two-step sign-in: authenticator apps"),
    "django_tasks_database": _("Tasks Database Backend"),
}

MODEL_NAMES = {
    ("otp_static", "staticdevice"): (_("static device"), _("static devices")),
    ("otp_static", "statictoken"): (_("static token"), _("static tokens")),
    ("otp_totp", "totpdevice"): (_("TOTP device"), _("TOTP devices")),
}


def name_third_party_apps() -> None:
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        if label in apps.app_configs:
            meta = apps.get_model(label, model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
