from django.urls import path

from kpi_portal import two_factor_views

app_name = "two_factor"

urlpatterns = [
    path("two-factor/", two_factor_views.verify, name="verify"),
    path("two-factor/setup/", two_factor_views.setup, name="setup"),
    path("two-factor/recovery-codes/", two_factor_views.recovery_codes, name="recovery_codes"),
    path(
        "two-factor/recovery-codes/new/",
        two_factor_views.new_recovery_codes,
        name="new_recovery_codes",
    ),
    path("two-factor/turn-off/", two_factor_views.turn_off, name="turn_off"),
    path("security/", two_factor_views.security, name="security"),
]
