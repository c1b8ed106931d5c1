from django.urls import path

from kpi_portal import health

urlpatterns = [
    path("health/", health.serving, name="health"),
]
