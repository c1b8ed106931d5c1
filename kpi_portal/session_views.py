"""Sign-in safety and the session's keep-alive.

``lockout_response`` is django-axes' ``AXES_LOCKOUT_CALLABLE``: a locked-out
sign-in gets the sign-in page again, with the lockout explained and the typed
username kept. ``keepalive`` is what the expiry warning's "stay signed in" button
posts to (static/js/session-timeout.js).
"""

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page with the lockout message, status 429 (Too Many Requests)."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    # Unbound: a bound form would authenticate again to find its errors.
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "cooloff_minutes": minutes,
        REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME, ""),
    }
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


@never_cache
@require_POST
def keepalive(request):
    """Extend the session (signed-in users only, through LoginRequiredMiddleware).

    Any request saves the session (SESSION_SAVE_EVERY_REQUEST); marking it modified
    makes that explicit should the setting ever change.
    """
    request.session.modified = True
    return HttpResponse(status=204)
