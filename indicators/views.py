"""The registry's own pages: the blank import templates (the import is in the admin)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from indicators.access import principal, require
from indicators.exchange.write import download, template_file


@require_safe
@cache_control(private=True, no_store=True)
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The blank import template, for those who import (administrators)."""
    require(principal(request.user).may_administer or request.user.has_perm("indicators.add_indicator"))
    return download(template_file(fmt), fmt, "indicators-template")
