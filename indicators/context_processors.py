from indicators.access import principal


def portal(request):
    """The signed-in user's roles for the navigation (cached per request by ``principal``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"who": principal(user)}
