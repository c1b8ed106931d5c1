"""Template filters for Thai display: BE dates, Thai digits, numbers, dashes, people's names."""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, linebreaks
from django.utils.safestring import mark_safe

from indicators import people, thai

register = template.Library()

DASH = "–"


@register.filter
def thai_digits(value):
    return thai.to_thai_digits(value)


@register.filter
def be_date(value, style="long"):
    """A date or datetime in the Buddhist Era with Thai month names."""
    if not value:
        return DASH
    if isinstance(value, datetime.datetime):
        return thai.format_datetime(timezone.localtime(value), style)
    return thai.format_date(value, style)


@register.filter
def be_year(value):
    return thai.be_year(value)


@register.filter
def num(value, places=None):
    """A Decimal with ``places`` decimals (or none trailing), or "–" when missing."""
    if value is None or value == "":
        return DASH
    return thai.format_number(value, None if places is None else int(places))


@register.filter(needs_autoescape=True)
def thai_paragraphs(value, autoescape=True):
    """Escaped plain text as paragraphs, with ๆ (mai yamok) kept on the line of
    the word it repeats: a line never starts with it."""
    html = linebreaks(value, autoescape=autoescape)
    return mark_safe(html.replace(" ๆ", "\u00a0ๆ"))


@register.filter(needs_autoescape=True)
def keep_words(value, autoescape=True):
    """Short Thai text with its compound words unbreakable (``<span class="keep-word">``,
    white-space: nowrap), so narrow table headers break between words only."""
    escape = conditional_escape if autoescape else str
    return mark_safe(
        "".join(
            f'<span class="keep-word">{escape(piece)}</span>' if whole else escape(piece)
            for whole, piece in thai.compound_word_spans(str(value))
        )
    )


@register.filter
def user_name(user):
    """A user's full name, else their username; "" for no user (see ``people.display_name``)."""
    return people.display_name(user)
