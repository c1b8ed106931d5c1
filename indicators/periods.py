"""Which fiscal year and quarter a page shows unless the user chooses.

The dashboard and the overview open on the latest quarter whose (effective) deadline has
passed: a quarter still open for reporting shows mostly zeroes. The staff home opens on
the year containing today (else the latest): it lists what is still to be reported."""

import datetime

from django.db.models import Max, Q

from indicators import thai
from indicators.models import QUARTERS, FiscalYear


def default_fiscal_year(years: list[FiscalYear], today: datetime.date) -> FiscalYear | None:
    """Of ``years`` (newest first), the one containing ``today``, else the latest; None if none."""
    this_year = thai.fiscal_year_of(today)
    return next((year for year in years if year.year <= this_year), years[0] if years else None)


def chosen_fiscal_year(years: list[FiscalYear], requested: str, today: datetime.date) -> FiscalYear | None:
    """The year ``requested`` (its B.E. number, as typed) if among ``years``, else the default."""
    chosen = next((year for year in years if str(year.year) == requested), None)
    return chosen or default_fiscal_year(years, today)


def chosen_quarter(requested: str, today: datetime.date) -> int:
    """Quarter ``requested`` (as typed) when it is 1-4, else the one containing ``today``."""
    return (
        int(requested)
        if requested in {str(quarter) for quarter in QUARTERS}
        else thai.fiscal_quarter_of(today)
    )


def years_with_last_due_quarter(today: datetime.date) -> list[FiscalYear]:
    """All fiscal years, newest first, each with ``last_due_quarter``: its latest quarter
    whose effective deadline is before ``today`` (None while none is). One query."""
    due = Q(quarters__effective_due_date__lt=today)
    return list(
        FiscalYear.objects.annotate(last_due_quarter=Max("quarters__quarter", filter=due)).order_by("-year")
    )


def default_quarter(year: FiscalYear, today: datetime.date) -> int:
    """The quarter of ``year`` a page opens on: its latest quarter past the deadline; while
    none is, the quarter containing today (1 for a year still to come, 4 for a past one)."""
    if getattr(year, "last_due_quarter", None):
        return year.last_due_quarter
    this_year = thai.fiscal_year_of(today)
    if year.year == this_year:
        return thai.fiscal_quarter_of(today)
    return 1 if year.year > this_year else 4


def chosen_period(
    years: list[FiscalYear], requested_year: str, requested_quarter: str, today: datetime.date
) -> tuple[FiscalYear | None, int]:
    """The fiscal year and quarter a page shows: those requested (as typed) when valid;
    else the latest quarter whose deadline has passed, over all ``years`` (as given by
    ``years_with_last_due_quarter``); else the year and quarter containing today."""
    year = next((year for year in years if str(year.year) == requested_year), None)
    if year is None:
        due = [year for year in years if getattr(year, "last_due_quarter", None)]
        year = due[0] if due else default_fiscal_year(years, today)
    if year is None:
        return None, thai.fiscal_quarter_of(today)
    if requested_quarter in {str(quarter) for quarter in QUARTERS}:
        return year, int(requested_quarter)
    return year, default_quarter(year, today)
