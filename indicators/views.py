from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from indicators import thai
from indicators.access import principal, visible_indicators
from indicators.forms import IndicatorFilterForm
from indicators.models import QUARTERS, FiscalYear, Indicator, OrgUnit
from reports.models import QuarterReport
from reports.selectors import quarter_statuses


@require_safe
def indicator_list(request: HttpRequest) -> HttpResponse:
    form = IndicatorFilterForm(request.GET or None)
    indicators = visible_indicators(request.user, Indicator.objects.for_list())
    if form.is_bound:
        indicators = form.filter(indicators)
    page = Paginator(indicators, settings.INDICATORS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # With a quarter chosen, the rows carry its progress (IndicatorQuerySet.with_quarter_progress).
    quarter = form.cleaned_data["quarter"] if form.is_bound and form.is_valid() else None
    return render(
        request,
        "indicators/indicator_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "quarter": quarter},
    )


def current_fiscal_year() -> FiscalYear | None:
    """The fiscal year containing today, else the latest one."""
    year = thai.fiscal_year_of(timezone.localdate())
    years = list(FiscalYear.objects.filter(year__lte=year).order_by("-year")[:1])
    return years[0] if years else FiscalYear.objects.order_by("-year").first()


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Each role's start page: staff their units' quarters, auditors the review
    queue, executives and administrators the reporting progress."""
    who = principal(request.user)
    if who.is_auditor and not who.is_administrator:
        return redirect("review_queue")
    fiscal_year = current_fiscal_year()
    if fiscal_year is None:
        return render(request, "indicators/home_empty.html")
    if who.is_unit_staff:
        periods = list(fiscal_year.quarters.order_by("quarter"))
        return render(
            request,
            "indicators/home_staff.html",
            {
                "fiscal_year": fiscal_year,
                "periods": periods,
                "rows": quarter_statuses(request.user, fiscal_year),
                "today": timezone.localdate(),
            },
        )
    if who.reads_everything:
        return render(request, "indicators/home_overview.html", overview_context(request, fiscal_year))
    return render(request, "indicators/home_empty.html", {"no_role": True})


def overview_context(request: HttpRequest, fiscal_year: FiscalYear) -> dict:
    """Reporting progress per unit for one quarter, in three queries."""
    years = list(FiscalYear.objects.order_by("-year"))
    requested = request.GET.get("year", "")
    fiscal_year = next((y for y in years if str(y.year) == requested), fiscal_year)
    quarter = request.GET.get("quarter", "")
    quarter = (
        int(quarter) if quarter in {"1", "2", "3", "4"} else thai.fiscal_quarter_of(timezone.localdate())
    )
    totals = dict(
        Indicator.objects.filter(fiscal_year=fiscal_year).values_list("org_unit").annotate(n=Count("id"))
    )
    counts = {}
    for unit_id, status, number in (
        QuarterReport.objects.filter(indicator__fiscal_year=fiscal_year, quarter=quarter)
        .values_list("indicator__org_unit", "status")
        .annotate(n=Count("id"))
    ):
        counts.setdefault(unit_id, {})[status] = number
    rows = []
    for unit in OrgUnit.objects.filter(pk__in=totals).order_by("code"):
        by_status = counts.get(unit.pk, {})
        reported = sum(by_status.get(s, 0) for s in ("submitted", "accepted"))
        rows.append(
            {
                "unit": unit,
                "total": totals[unit.pk],
                "draft": by_status.get("draft", 0),
                "submitted": by_status.get("submitted", 0),
                "returned": by_status.get("returned", 0),
                "accepted": by_status.get("accepted", 0),
                "not_started": totals[unit.pk] - sum(by_status.values()),
                "reported": reported,
            }
        )
    summary = {
        key: sum(row[key] for row in rows)
        for key in ("total", "draft", "submitted", "returned", "accepted", "not_started", "reported")
    }
    return {
        "fiscal_year": fiscal_year,
        "years": years,
        "quarter": quarter,
        "quarters": QUARTERS,
        "rows": rows,
        "summary": summary,
    }
