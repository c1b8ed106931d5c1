import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_noop

from kpi_portal import two_factor

# Django's message for a NUL in a form field; Django's Thai catalogue has no
# translation, ours has (kept there by this mention).
gettext_noop("Null characters are not allowed.")


class ThaiFirstLocaleMiddleware:
    """Thai unless the user chose another language (the language cookie).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language:
    office PCs often run English browsers, and the portal speaks Thai first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


SESSION_REFRESHED_KEY = "_refreshed_at"


def mark_session_refreshed(session) -> None:
    session[SESSION_REFRESHED_KEY] = int(time.time())


class SlidingSessionMiddleware:
    """Push a signed-in session's expiry back on activity, at most once a minute.

    Sessions expire SESSION_COOKIE_AGE after their last save. Saving on every
    request (SESSION_SAVE_EVERY_REQUEST) would add a write to every page at
    deadline time; saving when the last refresh is a minute old keeps the idle
    timeout exact to within that minute. Place it after SessionMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            last = session.get(SESSION_REFRESHED_KEY, 0)
            if time.time() - last >= settings.SESSION_REFRESH_SECONDS:
                mark_session_refreshed(session)
        return response


class TwoFactorMiddleware:
    """Keep signed-in users who need a second factor out until they gave it.

    Auditors, administrators, admin-site users and anyone with an authenticator
    app are sent to the code page (or to set up an app) from every page but
    signing out, the two-factor pages, the keep-alive and the language switch
    (kpi_portal.two_factor.gate). Place it after django_otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        return two_factor.gate(request)


class RefuseNulMiddleware:
    """A NUL character in the path is a 404, in the query string a 400 with a message.

    No page means one, and PostgreSQL refuses NUL in any text it is given (a 500 when
    a view passes a parameter to a query). Refusing it here covers every parameter of
    every view, the admin's included; posted text is checked by the forms (Django's
    CharField refuses NUL) so that what was typed is shown again with the message.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404
        if any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return render(request, "bad_request_nul.html", status=400)
        return self.get_response(request)
