from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from indicators.exchange.columns import BY_KEY, IMPORT_COLUMNS
from indicators.exchange.forms import ImportForm
from indicators.exchange.load import import_file
from indicators.exchange.read import ImportFileError
from indicators.models import (
    CityDataSet,
    FiscalQuarter,
    FiscalYear,
    Holiday,
    Indicator,
    OrgUnit,
    QuarterTarget,
    StrategyNode,
    SupportingProject,
    UnitMembership,
    UnitOfMeasure,
)
from indicators.thai import format_number


def grouped(model, field_name: str):
    """A list column showing a decimal field with thousands separators ("1,500.00"):
    Django's admin prints "1500.00", and turning USE_THOUSAND_SEPARATOR on would group
    every number the templates print, years included."""
    field = model._meta.get_field(field_name)

    @admin.display(description=field.verbose_name, ordering=field_name)
    def column(obj):
        value = getattr(obj, field_name)
        return None if value is None else format_number(value, field.decimal_places)

    column.__name__ = field_name
    return column


class HistoryAdmin(SimpleHistoryAdmin):
    """Shows each record's history (who, when, old and new values). Changes go through the
    change form only: simple_history's "revert" page saves a POST with the mere *view*
    permission and writes every field of the old version, read-only ones included (a
    quarter's lock, who updated a summary), so it is closed."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ShownNotChanged:
    """Shown in the admin, never changed there: history, and what units and auditors write
    through the portal's own pages (entry, review, reopening), whose rules (the quarter's
    lock, the report's status and version, who changed it) the admin would bypass. One
    door, one rule set."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FiscalQuarterInline(admin.TabularInline):
    model = FiscalQuarter
    extra = 0
    max_num = 4
    fields = ["quarter", "due_date", "effective_due_date", "locked_at", "locked_by"]
    readonly_fields = ["effective_due_date", "locked_at", "locked_by"]


@admin.register(FiscalQuarter)
class FiscalQuarterAdmin(HistoryAdmin):
    """Deadlines and locks: a locked quarter refuses every edit by unit staff."""

    list_display = ["__str__", "due_date", "effective_due_date", "locked_at", "locked_by"]
    list_filter = ["fiscal_year", "quarter"]
    readonly_fields = ["effective_due_date", "locked_at", "locked_by"]
    actions = ["lock_quarters", "unlock_quarters"]

    def has_delete_permission(self, request, obj=None):
        # Deleting a locked quarter would lift its lock unrecorded: unlock it first.
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_locked)

    @admin.action(description=_("Lock the selected quarters (no more changes by units)"))
    def lock_quarters(self, request, queryset):
        count = sum(period.lock(request.user, request=request) for period in queryset)
        self.message_user(request, _("%(count)d quarters locked.") % {"count": count})

    @admin.action(description=_("Unlock the selected quarters"))
    def unlock_quarters(self, request, queryset):
        count = sum(period.unlock(request.user, request=request) for period in queryset)
        self.message_user(request, _("%(count)d quarters unlocked.") % {"count": count})


@admin.register(FiscalYear)
class FiscalYearAdmin(HistoryAdmin):
    list_display = [
        "year",
        "is_current",
        "move_due_date_to_working_day",
        "criterion_1_label",
        "criterion_2_label",
    ]
    inlines = [FiscalQuarterInline]
    search_fields = ["year"]


@admin.register(OrgUnit)
class OrgUnitAdmin(HistoryAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(StrategyNode)
class StrategyNodeAdmin(HistoryAdmin):
    list_display = ["code", "level", "title"]
    list_filter = ["level"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["parent"]


@admin.register(CityDataSet)
class CityDataSetAdmin(HistoryAdmin):
    list_display = ["code", "name", "source"]
    search_fields = ["code", "name"]


@admin.register(UnitOfMeasure)
class UnitOfMeasureAdmin(HistoryAdmin):
    """The units indicators are counted in, with the rules the entry form and the import
    apply to results. The import's check links here (``?name=``) for a unit a file names
    that is not in the table yet. A unit in use cannot be deleted (PROTECT)."""

    list_display = ["name", "whole_numbers", "maximum", "is_percentage"]
    list_filter = ["whole_numbers", "is_percentage"]
    search_fields = ["name"]


class QuarterTargetInline(admin.TabularInline):
    model = QuarterTarget
    extra = 0
    max_num = 4


class SupportingProjectInline(admin.TabularInline):
    model = SupportingProject
    extra = 0


IMPORT_ERRORS_SHOWN = 1000  # the command lists them all


@admin.register(Indicator)
class IndicatorAdmin(HistoryAdmin):
    list_display = [
        "full_code",
        "sequence",
        "name",
        "fiscal_year",
        "indicator_type",
        "unit_of_measure",
        grouped(Indicator, "annual_target"),
    ]
    list_filter = ["fiscal_year", "indicator_type", "result_level", "unit_of_measure", "direction"]
    search_fields = ["code", "name", "org_unit__code", "org_unit__name"]
    list_select_related = ["org_unit", "fiscal_year"]
    autocomplete_fields = ["org_unit", "strategy_node", "city_data_sets"]
    # The reports app adds the quarters' reports, scores and summary (reports/admin.py).
    inlines = [QuarterTargetInline, SupportingProjectInline]
    fieldsets = [
        (None, {"fields": ["fiscal_year", "org_unit", "code", "sequence", "agreement_ref", "name"]}),
        (
            None,
            {
                "fields": [
                    "annual_target",
                    "unit_of_measure",
                    "indicator_type",
                    "result_level",
                    "direction",
                    "is_cumulative",
                ]
            },
        ),
        (None, {"fields": ["definition", "calculation_method", "data_source"]}),
        (None, {"fields": ["strategy_node", "city_data_sets"]}),
    ]

    @admin.display(description=Indicator._meta.get_field("code").verbose_name, ordering="org_unit__code")
    def full_code(self, obj):
        return obj.full_code

    def get_urls(self):
        # Before the model's own URLs, whose "<path:object_id>/" would take "import/".
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="indicators_indicator_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Import indicators and quarter targets from .xlsx or .csv (indicators/exchange/):
        every row is checked first; with any error nothing is imported and all are listed."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        result = None
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_file(
                    upload,
                    upload.name,
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    request=request,
                    add_new_units=form.cleaned_data["add_new_units"],
                )
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                if result.ok and not result.dry_run:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return redirect("admin:indicators_indicator_changelist")
        errors = result.errors if result else []
        add_unit = reverse("admin:indicators_unitofmeasure_add")
        new_units = [
            (name, f"{add_unit}?{urlencode({'name': name})}")
            for name in (result.new_units if result and not result.ok else [])
        ]
        labels = {key: column.heading() for key, column in BY_KEY.items()}
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import indicators from Excel or CSV"),
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "errors": [(error, labels.get(error.column, "")) for error in errors[:IMPORT_ERRORS_SHOWN]],
            "hidden_errors": max(0, len(errors) - IMPORT_ERRORS_SHOWN),
            "new_units": new_units,
            "columns": [(column, labels[column.key], column.help()) for column in IMPORT_COLUMNS],
            "template_xlsx": reverse("indicator_import_template_xlsx"),
            "template_csv": reverse("indicator_import_template_csv"),
        }
        return TemplateResponse(request, "admin/indicators/indicator/import.html", context)


@admin.register(QuarterTarget)
class QuarterTargetAdmin(HistoryAdmin):
    list_display = ["indicator", "quarter", grouped(QuarterTarget, "target")]
    list_filter = ["quarter", "indicator__fiscal_year"]
    search_fields = ["indicator__code", "indicator__name", "indicator__org_unit__code"]
    list_select_related = ["indicator__org_unit"]
    raw_id_fields = ["indicator"]


@admin.register(SupportingProject)
class SupportingProjectAdmin(HistoryAdmin):
    list_display = ["name", "indicator", "budget"]
    search_fields = ["name", "indicator__code", "indicator__name"]
    list_select_related = ["indicator__org_unit"]
    raw_id_fields = ["indicator"]


class UnitMembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["org_unit"]


# The four permissions Django makes for every model, named in the user's language: their
# stored names ("Can add fiscal year") are English.
DEFAULT_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """ "ทะเบียนตัวชี้วัด | ปีงบประมาณ | เพิ่มปีงบประมาณ" rather than "... | Can add fiscal year"."""
    model = permission.content_type.model_class()
    action, _separator, model_name = permission.codename.partition("_")
    if model is None or action not in DEFAULT_PERMISSIONS or model_name != model._meta.model_name:
        return str(permission)
    meta = model._meta
    return f"{meta.app_config.verbose_name} | {meta.verbose_name} | " + DEFAULT_PERMISSIONS[action] % {
        "model": meta.verbose_name
    }


class PermissionLabels:
    """The permission pickers of the user and group pages, with permission_label()."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


class PortalUserAdmin(PermissionLabels, UserAdmin, HistoryAdmin):
    """Users, their roles (groups) and units; the history shows who changed their access."""

    inlines = [*UserAdmin.inlines, UnitMembershipInline]


class PortalGroupAdmin(PermissionLabels, GroupAdmin, HistoryAdmin):
    """Roles: a group's name makes its members a role, its permissions what they may do."""


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, PortalGroupAdmin)


@admin.register(UnitMembership.history.model)
class UnitMembershipChangeAdmin(ShownNotChanged, admin.ModelAdmin):
    """Who was given access to which unit, or lost it, by whom and when (memberships are
    changed on the user's page)."""

    list_display = ["when", "change", "user", "org_unit", "who"]
    search_fields = ["user__username", "org_unit__code", "org_unit__name", "history_user__username"]
    list_select_related = ["user", "org_unit", "history_user"]
    date_hierarchy = "history_date"

    @admin.display(description=_("When"), ordering="history_date")
    def when(self, record):
        return record.history_date

    @admin.display(description=_("change"), ordering="history_type")
    def change(self, record):
        return {"+": _("access given"), "-": _("access removed")}.get(record.history_type, _("changed"))

    @admin.display(description=_("Who"), ordering="history_user__username")
    def who(self, record):
        return record.history_user


@admin.register(Holiday)
class HolidayAdmin(HistoryAdmin):
    """Days the administrators add to the working calendar (indicators/calendar.py): special
    holidays, closures, or working days the holidays package gets wrong. Saving or deleting
    one moves the effective deadlines it touches."""

    list_display = ["date", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"

    def delete_queryset(self, request, queryset):
        # One by one, so that each deletion moves the deadlines it touches (Holiday.delete).
        for holiday in queryset:
            holiday._history_user = request.user
            holiday.delete()
