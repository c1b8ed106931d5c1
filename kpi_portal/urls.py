"""The root URLconf: each app's own, the project's sign-in and two-factor pages, the admin."""

from django.contrib import admin
from django.urls import include, path

from kpi_portal import two_factor_views

urlpatterns = [
    path("", include("kpi_portal.session_urls")),
    path("", include("kpi_portal.health_urls")),
    path("account/", include("kpi_portal.two_factor_urls")),
    path("", include("indicators.urls")),
    path("", include("reports.urls")),
    # One door in: the admin's own sign-in page sends people to the portal's (with its second factor).
    path("admin/login/", two_factor_views.admin_login),
    path("admin/", admin.site.urls),
]
