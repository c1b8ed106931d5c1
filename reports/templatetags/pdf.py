from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def css_string(value):
    """A quoted CSS string, safe inside <style> (no HTML escaping applies there)."""
    text = str(value)
    for char, escaped in (("\\", "\\5C "), ('"', "\\22 "), ("<", "\\3C "), ("\n", "\\A ")):
        text = text.replace(char, escaped)
    return mark_safe(f'"{text}"')
