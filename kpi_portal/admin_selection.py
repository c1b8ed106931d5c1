"""The admin's list actions with a selection that is not a list of row ids.

Django's admin filters the rows by the posted ``_selected_action`` values as they
come: a value that is not a key of the model (a stale or edited form, a crafted
post) raised a 500. Here such a post gets the list page back with a message, and
nothing is done.
"""

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _


class AdminSelectionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set on the admin's own views
        if request.method != "POST" or model_admin is None:
            return None
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not selected:
            return None
        try:
            for value in selected:
                model_admin.model._meta.pk.to_python(value)
        except ValidationError:
            message = _("The selected rows could not be read. Select them again, then the action.")
            messages.warning(request, message)
            return HttpResponseRedirect(request.get_full_path())
        return None
