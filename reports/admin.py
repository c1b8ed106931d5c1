"""The reports' admin: shown, never changed there (but the annual summary, which no page
of the portal writes); and the indicator's page with its quarters' reports and scores."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from indicators.admin import (
    HistoryAdmin,
    IndicatorAdmin,
    QuarterTargetInline,
    ShownNotChanged,
    SupportingProjectInline,
    grouped,
)
from indicators.exchange.forms import ImportForm
from indicators.exchange.read import ImportFileError
from indicators.exchange.write import download, write_csv, write_xlsx
from indicators.models import Indicator
from reports.migration import sheets
from reports.models import AnnualSummary, AuditScore, EvidenceFile, QuarterReport


def portal_page_link(indicator_id):
    return format_html(
        '<a href="{}">{}</a>',
        reverse("indicator_detail", args=[indicator_id]),
        _("On the indicator's page: entry by the unit, review, reopening by administrators"),
    )


class EvidenceFileInline(ShownNotChanged, admin.TabularInline):
    model = EvidenceFile
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(QuarterReport)
class QuarterReportAdmin(ShownNotChanged, HistoryAdmin):
    """Reports change only through entry, review and reopening, which check the quarter's
    lock, the report's status and version, and record who: the admin shows them."""

    list_display = [
        "indicator",
        "quarter",
        grouped(QuarterReport, "result"),
        "status",
        "is_late",
        "is_migrated",
        "updated_at",
        "updated_by",
    ]
    list_filter = ["status", "quarter", "is_late", "is_migrated", "indicator__fiscal_year"]
    search_fields = ["indicator__code", "indicator__name", "indicator__org_unit__code", "narrative"]
    list_select_related = ["indicator__org_unit", "updated_by"]
    readonly_fields = ["where_to_change"]
    inlines = [EvidenceFileInline]

    @admin.display(description=_("where it changes"))
    def where_to_change(self, report):
        return portal_page_link(report.indicator_id)


@admin.register(AuditScore)
class AuditScoreAdmin(ShownNotChanged, HistoryAdmin):
    """Scores are written by the review, with the report's acceptance or return."""

    list_display = [
        "indicator",
        "quarter",
        "score",
        "criterion_1",
        "criterion_2",
        "is_verification",
        "auditor",
    ]
    list_filter = ["quarter", "is_verification", "indicator__fiscal_year"]
    search_fields = ["indicator__code", "indicator__name", "indicator__org_unit__code"]
    list_select_related = ["indicator__org_unit", "auditor"]
    readonly_fields = ["where_to_change"]

    @admin.display(description=_("where it changes"))
    def where_to_change(self, score):
        return portal_page_link(score.indicator_id)


@admin.register(AnnualSummary)
class AnnualSummaryAdmin(HistoryAdmin):
    """Written here only (no page of the portal writes it): who wrote it is the admin user."""

    list_display = ["indicator", "updated_at", "updated_by"]
    list_filter = ["indicator__fiscal_year"]
    search_fields = ["indicator__code", "indicator__name", "text"]
    list_select_related = ["indicator__org_unit", "updated_by"]
    raw_id_fields = ["indicator"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class QuarterReportInline(ShownNotChanged, admin.StackedInline):
    model = QuarterReport
    extra = 0
    fields = [
        "quarter",
        "result",
        "status",
        "version",
        "narrative",
        "is_late",
        "return_comment",
        "updated_by",
    ]


class AuditScoreInline(ShownNotChanged, admin.TabularInline):
    model = AuditScore
    extra = 0
    fields = ["quarter", "score", "criterion_1", "criterion_2", "is_verification", "comment", "auditor"]


class AnnualSummaryInline(admin.StackedInline):
    """Written here only (no page of the portal writes it): who wrote it is the admin user."""

    model = AnnualSummary
    extra = 0
    fields = ["text", "updated_by"]
    readonly_fields = ["updated_by"]


class IndicatorWithReportsAdmin(IndicatorAdmin):
    """The registry's indicator page (indicators/admin.py) with its quarters' reports,
    scores and annual summary."""

    inlines = [
        QuarterTargetInline,
        QuarterReportInline,
        AuditScoreInline,
        AnnualSummaryInline,
        SupportingProjectInline,
    ]

    actions = ["export_sheets"]

    def get_urls(self):
        return [
            path(
                "import-sheets/",
                self.admin_site.admin_view(self.import_sheets_view),
                name="indicators_indicator_import_sheets",
            ),
            *[
                path(
                    f"import-sheets/template.{fmt}",
                    self.admin_site.admin_view(self.sheets_template_view),
                    {"fmt": fmt},
                    name=f"indicators_indicator_sheets_template_{fmt}",
                )
                for fmt in ("xlsx", "csv")
            ],
            *super().get_urls(),
        ]

    def import_sheets_view(self, request):
        """Whole sheets from .xlsx or .csv (reports/migration/sheets.py, docs/migration.md):
        every row checked first, then all written or none."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        result = None
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = sheets.import_sheets(
                    upload,
                    upload.name,
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    add_new_units=form.cleaned_data["add_new_units"],
                    request=request,
                )
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                if result.ok and not result.dry_run:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return redirect("admin:indicators_indicator_changelist")
        errors = result.errors if result else []
        labels = {column.key: column.heading() for column in sheets.LAYOUT}
        add_unit = reverse("admin:indicators_unitofmeasure_add")
        new_units = result.registry.new_units if result and not result.ok else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import whole indicator sheets (migration)"),
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "errors": [(error, labels.get(error.column, "")) for error in errors[:1000]],
            "hidden_errors": max(0, len(errors) - 1000),
            "new_units": [(name, f"{add_unit}?{urlencode({'name': name})}") for name in new_units],
            "columns": [(column, labels[column.key], column.help()) for column in sheets.LAYOUT],
            "template_xlsx": reverse("admin:indicators_indicator_sheets_template_xlsx"),
            "template_csv": reverse("admin:indicators_indicator_sheets_template_csv"),
        }
        return TemplateResponse(request, "admin/indicators/indicator/import.html", context)

    def sheets_template_view(self, request, fmt):
        if not self.has_add_permission(request):
            raise PermissionDenied
        content = (
            write_csv([], sheets.LAYOUT) if fmt == "csv" else write_xlsx([], sheets.LAYOUT, with_help=True)
        )
        return download(content, fmt, "sheets-template")

    @admin.action(description=_("Export the selected indicators' whole sheets (.xlsx)"))
    def export_sheets(self, request, queryset):
        return download(sheets.export_sheets(queryset, "xlsx"), "xlsx", "sheets")

    def save_formset(self, request, form, formset, change):
        if formset.model is not AnnualSummary:
            return super().save_formset(request, form, formset, change)
        for summary in formset.save(commit=False):
            summary.updated_by = request.user
            summary.save()
        for summary in formset.deleted_objects:
            summary.delete()


admin.site.unregister(Indicator)
admin.site.register(Indicator, IndicatorWithReportsAdmin)


from reports.notifications import admin as notification_admin  # noqa: E402, F401  (registers its models)
