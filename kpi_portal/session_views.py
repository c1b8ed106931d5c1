"""Sign-in safety and the session's keep-alive.

``SignInView`` is the sign-in page; it marks the browser as known to the user
after a good password (kpi_portal.sign_in_limits). ``lockout_response`` is
django-axes' ``AXES_LOCKOUT_CALLABLE``: a locked-out sign-in gets the sign-in page
again, with the lockout explained (for the username, or for the whole address)
and the typed username kept. ``keepalive`` is what the expiry warning's "stay
signed in" button posts to (static/js/session-timeout.js).
"""

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kpi_portal.sign_in_limits import remember_browser


class SignInView(LoginView):
    """Django's sign-in page; a good password also marks the browser as known.

    The second factor, where needed, is asked next by kpi_portal.middleware.TwoFactorMiddleware.
    """

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_browser(self.request, response, form.get_user().get_username())
        return response


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
        "address_locked": getattr(request, "kpi_address_locked", False),
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
