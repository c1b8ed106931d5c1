"""The registry's own pages: the blank import templates (the import itself is in the admin)."""

from django.urls import path

from indicators import views

urlpatterns = [
    path(
        "indicators/import-template.xlsx/",
        views.import_template,
        {"fmt": "xlsx"},
        name="indicator_import_template_xlsx",
    ),
    path(
        "indicators/import-template.csv/",
        views.import_template,
        {"fmt": "csv"},
        name="indicator_import_template_csv",
    ),
]
