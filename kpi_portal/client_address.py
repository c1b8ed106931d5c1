"""The client's address, behind reverse proxies or not.

Without proxies (``TRUSTED_PROXY_COUNT`` 0) it is the connection's address,
``REMOTE_ADDR``; X-Forwarded-For is ignored, since any client can send it. Behind
N proxies of ours, each appends the address it received the request from to
X-Forwarded-For, so the client is the N-th entry from the right: entries further
left were sent by the client and prove nothing. With ``TRUSTED_PROXIES`` set, the
header is believed only from those addresses (a request that reached gunicorn
directly, past the proxies, is taken at its connection's address).
"""

import ipaddress
from functools import cache

from django.conf import settings


@cache
def trusted_networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def parse_address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def via_trusted_proxy(request) -> bool:
    """Did the request come through our proxies (so their headers can be believed)?"""
    if settings.TRUSTED_PROXY_COUNT < 1:
        return False
    if not settings.TRUSTED_PROXIES:
        return True
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and any(
        peer in network for network in trusted_networks(tuple(settings.TRUSTED_PROXIES))
    )


def client_address(request) -> str | None:
    """The client's IP address as text (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not via_trusted_proxy(request):
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < settings.TRUSTED_PROXY_COUNT:
        return remote  # not through all of our proxies
    address = parse_address(forwarded[-settings.TRUSTED_PROXY_COUNT])
    return str(address) if address is not None else remote
