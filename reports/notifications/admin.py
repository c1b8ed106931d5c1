"""Notifications in the admin: the outbox (what failed, with its error; send again), and
what was sent and chosen, read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from indicators.admin import ShownNotChanged
from reports.models import Notification, NotificationPreference, OutgoingMail, SentReminder
from reports.notifications import mail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ShownNotChanged, admin.ModelAdmin):
    """Mails waiting, sent, or given up on after their retries: the error says why."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "next_attempt_at", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = ["recipient", "to", "kind", "subject", "text_body", "status", "attempts"]
    readonly_fields += ["next_attempt_at", "last_error", "created_at", "sent_at"]
    fields = readonly_fields
    actions = ["send_again"]

    @admin.display(description=_("last error"))
    def error(self, mail_row):
        return mail_row.last_error[:200]

    def has_change_permission(self, request, obj=None):
        # The list and its action only; the rows are never edited.
        return obj is None and request.user.has_perm("reports.change_outgoingmail")

    @admin.action(description=_("Send the selected mails again now"), permissions=["change"])
    def send_again(self, request, queryset):
        count = mail.send_again(queryset)
        self.message_user(
            request, _("%(count)d mails will be sent again by the next worker pass.") % {"count": count}
        )


@admin.register(SentReminder)
class SentReminderAdmin(ShownNotChanged, admin.ModelAdmin):
    list_display = ["sent_at", "user", "reason", "fiscal_quarter", "step"]
    list_filter = ["reason", "fiscal_quarter__fiscal_year"]
    search_fields = ["user__username", "step"]
    list_select_related = ["user", "fiscal_quarter__fiscal_year"]
    date_hierarchy = "sent_at"


@admin.register(Notification)
class NotificationAdmin(ShownNotChanged, admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ShownNotChanged, admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email", "updated_at"]
    list_filter = ["kind", "in_app", "email"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
