"""The admin site, refusing ids that are not ids with a message or a 404, never a 500.

Django's change and delete pages already answer a malformed ``object_id`` well; the
history pages (django-simple-history) and the actions (``_selected_action`` values fed
to ``pk__in``) raise ValueError or ValidationError instead. The site wraps every admin
view once, so the admins registered by other packages (axes, django-otp, tasks) are
covered too.
"""

from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _


def malformed(model, values) -> bool:
    """Whether any of ``values`` (as the admin quotes them in URLs) is not a primary key
    of ``model``."""
    try:
        for value in values:
            model._meta.pk.to_python(unquote(value))
    except (ValidationError, ValueError, TypeError):
        return True
    return False


class PortalAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin):
            view = self.checked_ids(model_admin, view)
        return super().admin_view(view, cacheable)

    @staticmethod
    def checked_ids(model_admin, view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            model = model_admin.model
            if "object_id" in kwargs and malformed(model, [kwargs["object_id"]]):
                raise Http404
            if view.__name__ == "history_form_view" and args:
                # simple_history's version page: (object id, history row id) as positional args
                historical = model._meta.simple_history_manager_attribute
                if malformed(model, args[:1]) or malformed(getattr(model, historical).model, args[1:2]):
                    raise Http404
            if request.method == "POST" and malformed(
                model, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            ):
                message = _("The selected rows could not be read. Select them again, then the action.")
                model_admin.message_user(request, message, messages.WARNING)
                return HttpResponseRedirect(request.get_full_path())
            return view(request, *args, **kwargs)

        return checked


class PortalAdminConfig(AdminConfig):
    default_site = "kpi_portal.admin_site.PortalAdminSite"
