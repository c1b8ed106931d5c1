"""The reports' admin: shown, never changed there (but the annual summary, which no page
of the portal writes); and the indicator's page with its quarters' reports and scores."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from indicators.admin import (
    HistoryAdmin,
    IndicatorAdmin,
    QuarterTargetInline,
    ShownNotChanged,
    SupportingProjectInline,
    grouped,
)
from indicators.models import Indicator
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
        "updated_at",
        "updated_by",
    ]
    list_filter = ["status", "quarter", "is_late", "indicator__fiscal_year"]
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
