"""Helpers for tests that walk the site as a browser would: every URL pattern of the
resolver with sample arguments, the links and forms of a page, and a snapshot of every
table to prove that a request changed nothing."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.apps import apps
from django.contrib.admin import ModelAdmin
from django.contrib.sessions.models import Session
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# --- URL patterns ------------------------------------------------------------------------------


@dataclass
class Route:
    """One URL pattern: its name (with namespace), the arguments it takes, and its view."""

    name: str | None
    kwargs: tuple[str, ...]
    positional: int  # unnamed regex groups (django-simple-history's admin views)
    defaults: dict
    callback: object
    description: str

    @property
    def model(self):
        """The model of an admin view, else None: ModelAdmin.get_urls marks its views with
        ``model_admin``; other admin views (django-simple-history's) wrap a ModelAdmin method."""
        view = self.callback
        while view is not None:
            model_admin = getattr(view, "model_admin", None) or getattr(view, "__self__", None)
            if isinstance(model_admin, ModelAdmin):
                return model_admin.model
            view = getattr(view, "__wrapped__", None)
        return None


def routes(resolver: URLResolver | None = None, namespace: str = "", kwargs=(), prefix="") -> list[Route]:
    """Every URL pattern the project serves, walked from the root resolver."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        regex = entry.pattern.regex
        names = tuple(kwargs) + tuple(regex.groupindex)
        description = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += routes(entry, inner, names, description)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            positional = regex.groups - len(regex.groupindex)
            found.append(Route(name, names, positional, entry.default_args, entry.callback, description))
    return found


def route_url(route: Route, values: dict) -> str | None:
    """The route's URL with ``values`` for its arguments (callables get the route;
    ``values["args"]`` gives unnamed groups), or None for a raw regex that cannot be
    filled in (the admin's catch-all)."""

    def value_for(name):
        value = values[name]
        return value(route) if callable(value) else value

    if route.name is None:
        # An unnamed route (the admin's redirects from <object_id>/ to the change page).
        if re.search(r"[\^$(?]", route.description):
            return None
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(value_for(m.group(1))), route.description)
    if route.positional:
        return reverse(route.name, args=values["args"](route))
    kwargs = {name: value_for(name) for name in route.kwargs if name not in route.defaults}
    return reverse(route.name, kwargs=kwargs)


# --- pages -------------------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    submit: tuple[str, str] | None = None

    def query(self) -> str:
        """What a browser sends when the form is submitted with its default values."""
        pairs = list(self.fields)
        if self.submit is not None:
            pairs.append(self.submit)
        return urlencode(pairs)


class PageParser(HTMLParser):
    """Links and forms as a browser sees them: a <form> inside a form is ignored and the
    next </form> closes the open form (the HTML parsing rules), so a nested form's
    fields belong to the outer one."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, list, list] | None = None  # name, options, selected
        self.option_text: list[str] | None = None
        self.textarea: tuple[str, list] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value if value is not None else "" for key, value in attrs}
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        elif tag == "form":
            if self.form is None:
                self.form = Form(attrs.get("method", "get").lower(), attrs.get("action", ""))
                self.forms.append(self.form)
        elif self.form is None or "form" in attrs:
            return
        elif tag == "input":
            self.input(attrs)
        elif tag == "button" and attrs.get("type", "submit") == "submit" and self.form.submit is None:
            if attrs.get("name"):
                self.form.submit = (attrs["name"], attrs.get("value", ""))
        elif tag == "select" and attrs.get("name"):
            self.select = (attrs["name"], [], [])
        elif tag == "option" and self.select is not None:
            if "selected" in attrs:
                self.select[2].append(len(self.select[1]))
            self.select[1].append(attrs.get("value"))
            self.option_text = [] if attrs.get("value") is None else None
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = (attrs["name"], [])

    def input(self, attrs):
        kind = attrs.get("type", "text").lower()
        name = attrs.get("name")
        if not name or kind in ("file", "image", "reset", "button"):
            return
        if kind == "submit":
            if self.form.submit is None:
                self.form.submit = (name, attrs.get("value", ""))
        elif kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self.form.fields.append((name, attrs.get("value", "on")))
        else:
            self.form.fields.append((name, attrs.get("value", "")))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)
        elif self.option_text is not None:
            self.option_text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None:
            if self.form is not None:
                self.form.fields.append((self.textarea[0], "".join(self.textarea[1]).removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, options, selected = self.select
            if self.form is not None and options:
                index = selected[-1] if selected else 0
                self.form.fields.append((name, options[index] or ""))
            self.select = None
        elif tag == "option" and self.option_text is not None and self.select is not None:
            # <option>text</option> without a value attribute: the text is the value.
            self.select[1][-1] = "".join(self.option_text).strip()
            self.option_text = None


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


def same_site_path(href: str, base: str) -> str | None:
    """The path and query of a link if it stays on the site (test server), else None."""
    url = urljoin("http://testserver" + base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the database ------------------------------------------------------------------------------


def db_snapshot() -> dict[str, list[str]]:
    """Every row of every table (sessions aside: signing in and reading pages write them)."""
    return {
        model._meta.label: sorted(repr(row) for row in model._base_manager.values_list())
        for model in apps.get_models()
        if model is not Session
    }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]
