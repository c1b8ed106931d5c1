from django.conf import settings
from django.utils import translation


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
