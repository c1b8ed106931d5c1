"""The notification list, marking read, each user's preferences, and unsubscribing
from a mail's link without signing in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from indicators.models import UserSettings
from reports.models import Notification, NotificationKind
from reports.notifications import preferences, unsubscribe
from reports.notifications.forms import PreferencesForm

PER_PAGE = 30


@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient=request.user)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's notification read and go where it leads."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    # Links are the portal's own paths; anything else goes back to the list.
    if notification.link and url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts=None, require_https=False
    ):
        return redirect(notification.link)
    return redirect("notification_list")


@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.filter(recipient=request.user).unread().update(read_at=timezone.now())
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notification_list")


@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    table = preferences.preferences_table(request.user)
    initial = {"language": UserSettings.language_of(request.user)}
    form = PreferencesForm(request.POST or None, table=table, initial=initial)
    if request.method == "POST" and form.is_valid():
        for kind, (in_app, email) in form.channels().items():
            preferences.set_channels(request.user, kind, in_app=in_app, email=email)
        UserSettings.remember_language(request.user, form.cleaned_data["language"])
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notification_preferences")
    return render(
        request, "notifications/preferences.html", {"form": form}, status=400 if form.errors else 200
    )


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link turns off and a button (a GET changes nothing: mail
    scanners open links); the button's POST, CSRF-protected like every other, turns it
    off."""
    try:
        user, kinds = unsubscribe.read_token(token)
    except unsubscribe.BadLink:
        # As for any address that leads nowhere: a link changed or cut names nothing.
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    labels = [NotificationKind(kind).label for kind in kinds]
    if request.method == "POST":
        preferences.turn_off_email(user, kinds)
        return render(request, "notifications/unsubscribe_done.html", {"labels": labels})
    return render(request, "notifications/unsubscribe.html", {"labels": labels, "token": token})
