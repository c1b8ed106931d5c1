from django.urls import path

from kpi_portal import session_views

urlpatterns = [
    path("keepalive/", session_views.keepalive, name="session_keepalive"),
]
