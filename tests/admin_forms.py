"""Post an admin page's form back as a browser would: what it shows, plus the test's changes."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """The fields of the form ``form_id`` as a browser submits them (no buttons, no files,
    no inline formsets' ``__prefix__`` templates)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data = {}
        self.select = None
        self.textarea = None

    def add(self, name, value):
        if "__prefix__" not in name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = {key: ("" if value is None else value) for key, value in attrs}
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            self.select["first"] = self.select.get("first", value)
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif not self.inside or "name" not in attrs or "disabled" in attrs:
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.add(attrs["name"], attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select":
            self.select = {"name": attrs["name"], "multiple": "multiple" in attrs, "chosen": []}
        elif tag == "textarea" and "__prefix__" not in attrs["name"]:
            self.textarea = attrs["name"]
            self.add(self.textarea, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and "first" in self.select:
                chosen = [self.select["first"]]  # what a browser sends when none is marked
            for value in chosen:
                self.add(self.select["name"], value)
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            # The first newline after <textarea> is not part of the value.
            values = self.data[self.textarea]
            values[-1] += data if values[-1] else data.removeprefix("\n")


def form_data(response, form_id) -> dict:
    """The form's fields and values, ready for ``client.post`` (lists for repeated names)."""
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    assert reader.data, f"no form {form_id!r} on the page"
    return {name: values if len(values) > 1 else values[0] for name, values in reader.data.items()}
