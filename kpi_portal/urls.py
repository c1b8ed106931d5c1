from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from indicators import exchange_views
from indicators import views as indicator_views
from kpi_portal import health, session_views, two_factor_views
from reports import book_views, dashboard_views, workflow_views
from reports import views as report_views

urlpatterns = [
    path("", indicator_views.home, name="home"),
    path("accounts/login/", session_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("indicators/", indicator_views.indicator_list, name="indicator_list"),
    path(
        "indicators/export.xlsx/",
        exchange_views.indicator_export,
        {"fmt": "xlsx"},
        name="indicator_export_xlsx",
    ),
    path(
        "indicators/export.csv/",
        exchange_views.indicator_export,
        {"fmt": "csv"},
        name="indicator_export_csv",
    ),
    path(
        "indicators/import-template.xlsx/",
        exchange_views.import_template,
        {"fmt": "xlsx"},
        name="indicator_import_template_xlsx",
    ),
    path(
        "indicators/import-template.csv/",
        exchange_views.import_template,
        {"fmt": "csv"},
        name="indicator_import_template_csv",
    ),
    path("indicators/<int:pk>/", report_views.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/pdf/", report_views.indicator_pdf, name="indicator_pdf"),
    path("indicators/<int:pk>/history/", report_views.indicator_history, name="indicator_history"),
    path(
        "indicators/<int:pk>/quarters/<int:quarter>/report/",
        workflow_views.quarter_report,
        name="quarter_report",
    ),
    path(
        "indicators/<int:pk>/quarters/<int:quarter>/autosave/",
        workflow_views.quarter_autosave,
        name="quarter_autosave",
    ),
    path(
        "indicators/<int:pk>/quarters/<int:quarter>/review/",
        workflow_views.quarter_review,
        name="quarter_review",
    ),
    path(
        "indicators/<int:pk>/quarters/<int:quarter>/reopen/",
        workflow_views.quarter_reopen,
        name="quarter_reopen",
    ),
    path("evidence/<int:evidence_id>/", workflow_views.evidence_download, name="evidence_download"),
    path("evidence/<int:evidence_id>/delete/", workflow_views.evidence_delete, name="evidence_delete"),
    path("review/", workflow_views.review_queue, name="review_queue"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("units/<str:code>/", book_views.unit_page, name="unit_page"),
    path("books/", book_views.book_list, name="book_list"),
    path("books/order/", book_views.book_order, name="book_order"),
    path("books/<int:pk>/", book_views.book_detail, name="book_detail"),
    path("books/<int:pk>/download/", book_views.book_download, name="book_download"),
    path("session/", include("kpi_portal.session_urls")),
    path("account/", include("kpi_portal.two_factor_urls")),
    # One door in: the admin's own sign-in page sends people to the portal's (with its second factor).
    path("admin/login/", two_factor_views.admin_login),
    path("admin/", admin.site.urls),
    path("health/", health.serving, name="health"),
    path("health/background/", health.background, name="health_background"),
]
