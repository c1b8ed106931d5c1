"""What a failed CSRF check shows (``settings.CSRF_FAILURE_VIEW``).

It changes nothing and echoes nothing that was posted: a page that re-sends what
arrived would let another site make the user act. The one exception is a form whose
view says how to give its typed text back (``gives_back_after_csrf_failure``: the
quarter entry form), and only to a signed-in user posting from the portal's own pages.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import resolve
from django.utils.translation import gettext as _

from kpi_portal.navigation import back_url, is_same_origin

AfterFailure = Callable[..., HttpResponse | None]


def gives_back_after_csrf_failure(handler: AfterFailure):
    """Mark a view whose form, refused by the CSRF check, may be shown again:
    ``handler(request, **url_kwargs)`` returns that page, or None to show nothing."""

    def mark(view):
        view.after_csrf_failure = handler
        return view

    return mark


def after_failure_page(request: HttpRequest) -> HttpResponse | None:
    """The marked view's page, for a signed-in user posting from our own pages; else None.
    A forged cross-site POST gets nothing back: shown the attacker's text with a fresh
    token, a victim could save it with one click."""
    if not request.user.is_authenticated or not is_same_origin(request):
        return None
    try:
        match = resolve(request.path_info)
    except Http404:
        return None
    handler = getattr(match.func, "after_csrf_failure", None)
    return handler(request, **match.kwargs) if handler is not None else None


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse(
            {"error": "csrf", "message": _("The page's security token has expired: reload the page.")},
            status=403,
        )
    page = after_failure_page(request)
    if page is None:
        return render(request, "csrf_failure.html", {"back_url": back_url(request)}, status=403)
    return page
