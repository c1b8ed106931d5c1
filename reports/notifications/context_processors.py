from reports.models import Notification


def unread_notifications(request):
    """The navigation's unread count: one cheap query (a partial index), made only when
    a page shows the navigation (the template calls it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": lambda: Notification.objects.filter(recipient=user).unread().count()}
