"""Ordering books, following their progress, downloading them; a unit's page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from indicators.access import principal, require, visible_indicators
from indicators.forms import IndicatorFilterForm
from indicators.models import FiscalYear, Indicator, OrgUnit
from reports import books
from reports.models import Book

MAX_BOOK_SHEETS = 5000


def may_order_books(user) -> bool:
    who = principal(user)
    return who.is_executive or who.is_administrator


def book_for_user(request: HttpRequest, pk: int) -> Book:
    book = get_object_or_404(Book.objects.select_related("ordered_by"), pk=pk)
    if book.ordered_by_id != request.user.pk and not may_order_books(request.user):
        raise Http404
    return book


@require_POST
def book_order(request: HttpRequest) -> HttpResponse:
    """Order a book of the indicators the list shows with the filters in ``query``."""
    require(may_order_books(request.user))
    parameters = QueryDict(request.POST.get("query", ""))
    if any("\x00" in key + "".join(values) for key, values in parameters.lists()):
        messages.error(request, _("Null characters are not allowed."))
        return redirect("indicator_list")
    # Encoded again: what goes into the redirect's Location header and the book is plain
    # ASCII, whatever was posted (a line break there would be a 500).
    query = parameters.urlencode()
    form = IndicatorFilterForm(parameters or None)
    indicators = visible_indicators(request.user, Indicator.objects.for_list())
    if form.is_bound:
        indicators = form.filter(indicators)
    ids = list(indicators.values_list("pk", flat=True)[: MAX_BOOK_SHEETS + 1])
    if not ids:
        messages.error(request, _("No indicator matches these filters: there is nothing to print."))
        return redirect_back(query)
    if len(ids) > MAX_BOOK_SHEETS:
        messages.error(
            request,
            _("A book holds at most %(max)d sheets: narrow the filters (a fiscal year, a unit).")
            % {"max": MAX_BOOK_SHEETS},
        )
        return redirect_back(query)
    title, description = book_title(form if form.is_bound and form.is_valid() else None, len(ids))
    book = books.order_book(request.user, ids, title, description, query)
    return redirect("book_detail", pk=book.pk)


def redirect_back(query: str) -> HttpResponse:
    response = redirect("indicator_list")
    if query:
        response["Location"] += "?" + query
    return response


def book_title(form, count: int) -> tuple[str, str]:
    parts = []
    if form is not None:
        data = form.cleaned_data
        if data.get("unit"):
            parts.append(f"{data['unit'].code} {data['unit'].name}")
        if data.get("year"):
            parts.append(_("Fiscal year %(year)s") % {"year": data["year"].year})
        if data.get("strategy"):
            parts.append(_("Strategy %(code)s") % {"code": data["strategy"].code})
        if data.get("q"):
            parts.append(_("search “%(text)s”") % {"text": data["q"]})
    title = _("Indicator details") + (" – " + ", ".join(parts) if parts else "")
    return title, _("%(count)d indicators") % {"count": count}


@require_safe
def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = book_for_user(request, pk)
    done = books.progress(book)
    running = book.status in (Book.Status.QUEUED, Book.Status.RENDERING, Book.Status.ASSEMBLING)
    return render(
        request,
        "reports/book_detail.html",
        {"book": book, "done": done, "running": running},
    )


@require_safe
@cache_control(private=True, no_store=True)
def book_download(request: HttpRequest, pk: int) -> FileResponse:
    book = book_for_user(request, pk)
    if book.status != Book.Status.DONE or not book.file:
        raise Http404
    return FileResponse(
        book.file.open("rb"),
        as_attachment=True,
        filename=f"book-{book.pk}.pdf",
        content_type="application/pdf",
    )


@require_safe
def book_list(request: HttpRequest) -> HttpResponse:
    """The user's books (everyone's, for administrators)."""
    require(may_order_books(request.user))
    books_shown = Book.objects.select_related("ordered_by")
    if not principal(request.user).is_administrator:
        books_shown = books_shown.filter(ordered_by=request.user)
    return render(request, "reports/book_list.html", {"books": books_shown[:100]})


DIMENSIONS = {
    1: _("Dimension 1: effectiveness of the mission"),
    2: _("Dimension 2: quality of service"),
    3: _("Dimension 3: efficiency of operations"),
    4: _("Dimension 4: organisational development"),
}


def dimension_label(dimension: int | None) -> str:
    if dimension is None:
        return _("Other indicators")
    return str(DIMENSIONS.get(dimension, _("Dimension %(number)s") % {"number": dimension}))


@require_safe
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's indicators for a fiscal year, grouped by performance-agreement dimension."""
    unit = get_object_or_404(OrgUnit, code=code)
    who = principal(request.user)
    if not who.reads_everything and unit.pk not in who.unit_ids:
        raise Http404
    years = list(FiscalYear.objects.filter(indicators__org_unit=unit).distinct().order_by("-year"))
    requested = request.GET.get("year", "")
    fiscal_year = next((y for y in years if str(y.year) == requested), years[0] if years else None)
    rows = list(unit.indicators.filter(fiscal_year=fiscal_year).order_by("sequence", "code"))
    groups = {}
    for indicator in rows:
        dimension = indicator.agreement_dimension
        groups.setdefault(dimension, []).append(indicator)
    grouped = [
        (dimension_label(dimension), items)
        for dimension, items in sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]
    query = urlencode({"unit": unit.code, "year": fiscal_year.year}) if fiscal_year else ""
    return render(
        request,
        "reports/unit_page.html",
        {
            "unit": unit,
            "years": years,
            "fiscal_year": fiscal_year,
            "grouped": grouped,
            "query": query,
            "count": len(rows),
        },
    )
