from django.urls import path

from reports import health
from reports.views import (
    books,
    dashboard,
    entry,
    exports,
    history,
    home,
    listing,
    notifications,
    review,
    sheet,
    units,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("indicators/", listing.indicator_list, name="indicator_list"),
    path("indicators/export.xlsx/", exports.indicator_export, {"fmt": "xlsx"}, name="indicator_export_xlsx"),
    path("indicators/export.csv/", exports.indicator_export, {"fmt": "csv"}, name="indicator_export_csv"),
    path("indicators/<int:pk>/", sheet.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/pdf/", sheet.indicator_pdf, name="indicator_pdf"),
    path("indicators/<int:pk>/history/", history.indicator_history, name="indicator_history"),
    path("indicators/<int:pk>/quarters/<int:quarter>/report/", entry.quarter_report, name="quarter_report"),
    path(
        "indicators/<int:pk>/quarters/<int:quarter>/autosave/",
        entry.quarter_autosave,
        name="quarter_autosave",
    ),
    path("indicators/<int:pk>/quarters/<int:quarter>/review/", review.quarter_review, name="quarter_review"),
    path("indicators/<int:pk>/quarters/<int:quarter>/reopen/", review.quarter_reopen, name="quarter_reopen"),
    path("evidence/<int:evidence_id>/", entry.evidence_download, name="evidence_download"),
    path("evidence/<int:evidence_id>/delete/", entry.evidence_delete, name="evidence_delete"),
    path("review/", review.review_queue, name="review_queue"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("units/<str:code>/", units.unit_page, name="unit_page"),
    path("books/", books.book_list, name="book_list"),
    path("books/order/", books.book_order, name="book_order"),
    path("books/<int:pk>/", books.book_detail, name="book_detail"),
    path("books/<int:pk>/download/", books.book_download, name="book_download"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/read/", notifications.notification_mark_all_read, name="notification_mark_all_read"),
    path(
        "notifications/preferences/",
        notifications.notification_preferences,
        name="notification_preferences",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        notifications.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
    # Monitoring: the task queue and the book workers (the load balancers' /health/ is kpi_portal's).
    path("health/background/", health.background, name="health_background"),
]
