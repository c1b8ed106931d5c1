"""Ordering books (many sheets in one PDF), following their progress, downloading them."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from indicators.access import principal, require
from reports.access import listed_books, visible_books
from reports.books.ordering import order_book, progress
from reports.filters import IndicatorListForm, listed_indicators
from reports.models import Book

MAX_BOOK_SHEETS = 5000


def book_for_user(request: HttpRequest, pk: int) -> Book:
    return get_object_or_404(visible_books(request.user).select_related("ordered_by"), pk=pk)


def redirect_back(query: str) -> HttpResponse:
    response = redirect("indicator_list")
    if query:
        response["Location"] += "?" + query
    return response


def book_title(form: IndicatorListForm, count: int) -> tuple[str, str]:
    data, parts = form.chosen, []
    if data.get("unit"):
        parts.append(f"{data['unit'].code} {data['unit'].name}")
    if data.get("year"):
        parts.append(_("Fiscal year %(year)s") % {"year": data["year"].year})
    if data.get("strategy"):
        parts.append(_("Strategy %(code)s") % {"code": data["strategy"].code})
    if data.get("q"):
        parts.append(_("search “%(text)s”") % {"text": data["q"]})
    # Thai separates phrases with a space, not a comma.
    title = _("Indicator details") + (" – " + " ".join(parts) if parts else "")
    return title, _("%(count)d indicators") % {"count": count}


@require_POST
def book_order(request: HttpRequest) -> HttpResponse:
    """Order a book of the indicators the list shows with the filters in ``query``."""
    require(principal(request.user).may_order_books)
    parameters = QueryDict(request.POST.get("query", ""))
    if any("\x00" in key + "".join(values) for key, values in parameters.lists()):
        messages.error(request, _("Null characters are not allowed."))
        return redirect("indicator_list")
    # Encoded again: what goes into the redirect's Location header and the book is plain
    # ASCII, whatever was posted (a line break there would be a 500).
    query = parameters.urlencode()
    form, indicators = listed_indicators(request.user, parameters)
    ids = list(indicators.values_list("pk", flat=True)[: MAX_BOOK_SHEETS + 1])
    if not ids:
        messages.error(request, _("No indicator matches these filters: there is nothing to print."))
        return redirect_back(query)
    if len(ids) > MAX_BOOK_SHEETS:
        message = _("A book holds at most %(max)d sheets: narrow the filters (a fiscal year, a unit).")
        messages.error(request, message % {"max": MAX_BOOK_SHEETS})
        return redirect_back(query)
    title, description = book_title(form, len(ids))
    book = order_book(request.user, ids, title, description, query)
    return redirect("book_detail", pk=book.pk)


@require_safe
def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = book_for_user(request, pk)
    context = {"book": book, "done": progress(book), "running": book.is_running}
    return render(request, "reports/book_detail.html", context)


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
    require(principal(request.user).may_order_books)
    books = listed_books(request.user).select_related("ordered_by")
    return render(request, "reports/book_list.html", {"books": books[:100]})
