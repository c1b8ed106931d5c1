from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from indicators.access import principal
from indicators.audit import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, for administrators: read-only, as evidence must be."""

    list_display = ["at", "kind", "username", "ip_address", "path", "summary"]
    list_filter = ["kind", "at"]
    date_hierarchy = "at"
    search_fields = ["username", "ip_address", "request_id", "path"]
    fields = ["at", "kind", "user", "username", "ip_address", "path", "request_id", "detail"]
    readonly_fields = fields
    list_select_related = ["user"]
    show_full_result_count = False  # a count of millions of rows on every page is slow

    @admin.display(description=_("details"))
    def summary(self, event):
        return ", ".join(f"{key}: {value}" for key, value in sorted(event.detail.items()))

    def has_module_permission(self, request):
        return principal(request.user).is_administrator

    def has_view_permission(self, request, obj=None):
        return principal(request.user).is_administrator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TranslatedFieldsets:
    """django-otp's device pages title their sections with plain strings (Identity,
    Timestamps …): translated here (the Thai is in our catalogue)."""

    def get_fieldsets(self, request, obj=None):
        return [
            (None if name is None else _(name), options)
            for name, options in super().get_fieldsets(request, obj)
        ]


def retitle(model, registered_admin):
    admin.site.unregister(model)
    admin.site.register(model, type(registered_admin.__name__, (TranslatedFieldsets, registered_admin), {}))


retitle(TOTPDevice, TOTPDeviceAdmin)
retitle(StaticDevice, StaticDeviceAdmin)
