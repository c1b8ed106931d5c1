from django.contrib.auth.decorators import login_not_required
from django.views import i18n

from indicators.models import UserSettings


@login_not_required
def set_language(request):
    """Django's language switch (a cookie); a signed-in user's choice is also kept as
    the language of the mails the portal sends them."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        UserSettings.remember_language(request.user, request.POST.get("language", ""))
    return response
