"""Helpers for tests that walk the site as a browser would: every URL pattern of the
resolver with sample arguments, the links and forms of a page, and a snapshot of every
table to prove that a request changed nothing."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.apps import apps
from django.contrib.admin import ModelAdmin
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from indicators.models import FiscalQuarter, Indicator, Role
from reports.models import Book, EvidenceFile
from reports.notifications import unsubscribe
from tests.factories import make_fiscal_year, make_indicator, make_report, make_unit, make_user

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


def db_snapshot(app_labels: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """Every row of every table, or of the apps named (sessions aside: signing in and
    reading pages write them)."""
    return {
        model._meta.label: sorted(repr(row) for row in model._base_manager.values_list())
        for model in apps.get_models()
        if model is not Session and (app_labels is None or model._meta.app_label in app_labels)
    }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# --- a small world with every kind of object the URLs take ------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make_world(settings, tmp_path) -> dict:
    """A unit's indicator with a report in each state the actions need (Q1 submitted,
    Q2 accepted, Q3 a draft with evidence), a finished book, and one user per role."""
    settings.MEDIA_ROOT = tmp_path / "media"
    year = make_fiscal_year(2568)
    for quarter in (1, 2, 3, 4):
        FiscalQuarter.objects.create(fiscal_year=year, quarter=quarter, due_date=f"2099-0{quarter}-15")
    unit = make_unit("5016", "สำนักงานเขตธนบุรี")
    indicator = make_indicator(year, unit, code="0685")
    users = {
        "staff": make_user("somchai", Role.UNIT_STAFF, [unit]),
        "auditor": make_user("auditor", Role.AUDITOR),
        "executive": make_user("executive", Role.EXECUTIVE),
        "admin": make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
    }
    submitted = make_report(
        indicator, 1, "30", "ส่งแล้ว", status="submitted", submitted_at=timezone.now(), version=4
    )
    make_report(indicator, 2, "60", "ผ่านแล้ว", status="accepted", version=2)
    draft = make_report(indicator, 3, "70", "ร่าง", version=1)
    evidence = EvidenceFile(report=draft, original_name="a.pdf", content_type="application/pdf", size=42)
    evidence.file.save("a", ContentFile(PDF_BYTES), save=False)
    evidence.save()
    book = Book(title="เล่ม", ordered_by=users["executive"], status=Book.Status.DONE, total=1)
    book.file.save("book.pdf", ContentFile(PDF_BYTES))
    return {
        "indicator": indicator,
        "unit": unit,
        "users": users,
        "submitted": submitted,
        "draft": draft,
        "evidence": evidence,
        "book": book,
    }


def sample_values(world) -> dict:
    """A real object for every argument a URL takes: the report states each action needs."""
    quarters = {"quarter_review": 1, "quarter_reopen": 2, "quarter_report": 3, "quarter_autosave": 3}

    def first_pk(route):
        model = route.model or Indicator
        return str(model._base_manager.order_by("pk").values_list("pk", flat=True).first() or 1)

    def history_args(route):
        record = route.model.history.order_by("history_id").first()
        return [str(record.id), str(record.history_id)] if record else ["1", "1"]

    return {
        "args": history_args,
        "pk": lambda route: world["book"].pk if route.name.startswith("book") else world["indicator"].pk,
        "quarter": lambda route: quarters[route.name],
        "evidence_id": world["evidence"].pk,
        "code": world["unit"].code,
        "object_id": first_pk,
        "id": first_pk,
        "content_type_id": ContentType.objects.get_for_model(Indicator).pk,
        "app_label": "indicators",
        # A real unsubscribe link (reports/notifications/unsubscribe.py), the staff user's.
        "token": lambda route: unsubscribe.make_token(world["users"]["staff"], ["reminders"]),
    }


def project_urls(world) -> list[tuple[str, str]]:
    """(name, URL) of every route, with ``world``'s objects for its arguments."""
    urls, unnamed = [], []
    for route in routes():
        url = route_url(route, sample_values(world))
        if url is None:
            unnamed.append(route.description)
        else:
            urls.append((route.name or route.description, url))
    # Only the admin's catch-all (a raw regex: 404 or the sign-in page) cannot be filled in.
    assert unnamed == ["admin/(?P<url>.*)$"], unnamed
    return urls


def portal_urls(urls):
    """The portal's own URLs among ``urls`` (not the admin's)."""
    return [(name, url) for name, url in urls if not url.startswith("/admin/")]
