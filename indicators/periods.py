"""Which fiscal year and quarter a page shows unless the user chooses: the year containing
today (else the latest), the quarter containing today."""

import datetime

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
