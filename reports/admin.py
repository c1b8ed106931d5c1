from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import AnnualSummary, AuditScore, EvidenceFile, QuarterReport


class EvidenceFileInline(admin.TabularInline):
    model = EvidenceFile
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(QuarterReport)
class QuarterReportAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "quarter", "result", "status", "is_late", "updated_at", "updated_by"]
    list_filter = ["status", "quarter", "is_late", "indicator__fiscal_year"]
    search_fields = ["indicator__code", "indicator__name", "indicator__org_unit__code", "narrative"]
    list_select_related = ["indicator__org_unit", "updated_by"]
    raw_id_fields = ["indicator", "submitted_by", "updated_by", "reviewed_by"]
    inlines = [EvidenceFileInline]


@admin.register(AuditScore)
class AuditScoreAdmin(SimpleHistoryAdmin):
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
    raw_id_fields = ["indicator", "auditor"]


@admin.register(AnnualSummary)
class AnnualSummaryAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "updated_at", "updated_by"]
    list_filter = ["indicator__fiscal_year"]
    search_fields = ["indicator__code", "indicator__name", "text"]
    list_select_related = ["indicator__org_unit", "updated_by"]
    raw_id_fields = ["indicator", "updated_by"]
