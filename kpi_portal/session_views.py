"""Sign-in safety, the session's keep-alive and signing in again mid-form.

``SignInView`` is the sign-in page; it marks the browser as known to the user
after a good password (kpi_portal.sign_in_limits). ``lockout_response`` is
django-axes' ``AXES_LOCKOUT_CALLABLE``: a locked-out sign-in gets the sign-in page
again, with the lockout explained (for the username, or for the whole address)
and the typed username kept. ``keepalive`` is what the expiry warning's "stay
signed in" button posts to (static/js/session-timeout.js). ``reauthenticate`` signs
a user in again from a form posted after their session expired (the quarter entry's
"session expired" page), second factor included.
"""

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, authenticate, login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kpi_portal import two_factor
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


def reauthenticate(request: HttpRequest) -> bool:
    """Sign the user in again from the credentials typed on a "session expired" page
    (fields ``reauth_username``, ``reauth_password`` and ``reauth_code``)."""
    username = request.POST.get("reauth_username", "")
    password = request.POST.get("reauth_password", "")
    code = request.POST.get("reauth_code", "")
    if not username or not password or "\x00" in username + password + code:
        return False  # (NUL: no account or code has it, and PostgreSQL refuses it in a query)
    user = authenticate(request, username=username, password=password)
    if user is None:
        return False
    # Two-factor sign-in: who needs a second factor types its code here too.
    check = two_factor.check_code(user, code, request=request)
    if check.device is None and two_factor.code_needed(user):
        return False
    login(request, user)
    if check.device is not None:
        two_factor.complete_sign_in(request, check.device)
    return True
