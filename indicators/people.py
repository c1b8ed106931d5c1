"""How pages name people."""


def display_name(user) -> str:
    """A user's full name, else their username; "" when there is no user.

    Every "by" on a row may be empty: reports migrated from the old system and
    demo rows have no users attached, and an account may be gone. Pages name
    people only through this function (or the ``user_name`` template filter)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
