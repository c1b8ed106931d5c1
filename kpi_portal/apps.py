from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def start_session_clock(sender, request, user, **kwargs):
    # A fresh sign-in counts as activity: the first page after it needs no session write.
    from kpi_portal.middleware import mark_session_refreshed

    mark_session_refreshed(request.session)


class KpiPortalConfig(AppConfig):
    name = "kpi_portal"
    verbose_name = "KPI Portal"

    def ready(self):
        user_logged_in.connect(start_session_clock, dispatch_uid="kpi_portal.start_session_clock")
        from kpi_portal import audit_signals

        audit_signals.connect()
        from kpi_portal.third_party_names import name_history_models, name_third_party_apps

        name_third_party_apps()
        name_history_models()
        from kpi_portal import buddhist_era

        buddhist_era.install()
