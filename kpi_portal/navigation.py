"""Where a page's links lead back to, and whether a request comes from the portal's own pages."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def back_url(request: HttpRequest) -> str:
    """Where "Back" leads: the page the user came from on this site, else the indicator list."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("indicator_list")


def is_same_origin(request: HttpRequest) -> bool:
    """Whether the browser says the request comes from one of the portal's own pages.

    Sec-Fetch-Site is set by the browser and cannot be forged by a page; without it
    (older browsers) the Origin header, then the Referer, must name this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    own = f"{request.scheme}://{request.get_host()}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    return request.headers.get("Referer", "").startswith(own + "/")


def query_without_page(request: HttpRequest) -> str:
    """The query string without its page number: pagination links keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
