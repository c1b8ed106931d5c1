"""Form widgets written in Python where Django's widget templates cost too much."""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    """A <select> written in Python: the HTML of Django's templates (select.html,
    select_option.html, attrs.html), byte for byte, without rendering a template per
    option. The indicator list's filters have some 250 options (units, strategies); through
    the templates they took about half of the list page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f"<select name={_quoted(widget['name'])}{_attributes(widget['attrs'])}>"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f"\n  <optgroup label={_quoted(group_name)}>")
            for option in options:
                parts.append(
                    f"\n  <option value={_quoted(option['value'])}{_attributes(option['attrs'])}>"
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


def _quoted(value) -> str:
    return f'"{conditional_escape(str(value))}"'


def _attributes(attrs: dict) -> str:
    """As attrs.html: in their order (flatatt sorts them), False left out, True bare."""
    return "".join(
        f" {name}" if value is True else f" {name}={_quoted(value)}"
        for name, value in attrs.items()
        if value is not False
    )
