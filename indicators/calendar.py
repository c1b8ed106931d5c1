"""The Thai working calendar: which days are working days, and counting them.

A day is not a working day when it is a Saturday or a Sunday, one of Thailand's
public or government-office holidays (the ``holidays`` package, with its
substitution days: a holiday on a weekend gives the next working day off), or a
day the administrators added (``Holiday``: special holidays the cabinet declares,
the city's own closures). Administrators can also declare a day a working day
(``Holiday.Kind.WORKING_DAY``), which wins over the package: lunar holidays and
special days are announced year by year, and the package may lag behind.

Every rule that says "N days" (deadlines, reminders, how long a submission has
waited) counts working days through a ``WorkingCalendar``.
"""

import datetime
from collections.abc import Callable, Iterable
from functools import lru_cache

import holidays
from django.utils import translation

SATURDAY, SUNDAY = 5, 6
# A run of non-working days is never this long; a search that goes further is a bug.
LONGEST_BREAK_DAYS = 60


@lru_cache(maxsize=64)
def thai_holidays(year: int, language: str = "th") -> dict[datetime.date, str]:
    """Thailand's public and government-office holidays of calendar ``year`` (CE), with
    their substitution days (in lieu), from the ``holidays`` package, named in Thai
    (``language`` "th") or English ("en"). They never change while the process runs,
    so each year is built once per process."""
    days = holidays.Thailand(
        years=year,
        categories=(holidays.PUBLIC, holidays.GOVERNMENT),
        language="th" if language == "th" else "en_US",
    )
    return dict(days.items())


Row = tuple[datetime.date, str, bool]  # (date, name, is_working_day) of an administrators' day


class WorkingCalendar:
    """Working days on the Thai calendar plus the administrators' days.

    ``load_year(year)`` gives a year's administrators' days (``indicators.models.
    working_calendar`` reads the ``Holiday`` rows); it is called once per year per
    calendar object, when that year is first asked about: make one calendar per pass,
    request or save, and the administrators' changes are seen by the next one. ``rows``
    gives them all at once instead (data migrations, tests); with neither, only the
    package's holidays count. (This module imports no model: the models use it.)
    """

    def __init__(
        self, rows: Iterable[Row] | None = None, load_year: Callable[[int], Iterable[Row]] | None = None
    ):
        self._rows = None if rows is None else list(rows)
        self._load_year = load_year
        self._years: dict[int, tuple[dict[datetime.date, str], set[datetime.date]]] = {}

    def _year(self, year: int):
        if year not in self._years:
            days_off = dict(thai_holidays(year))
            working = set()
            for day, name, is_working_day in self._admin_rows(year):
                if is_working_day:
                    working.add(day)
                    days_off.pop(day, None)
                else:
                    days_off[day] = name
            self._years[year] = (days_off, working)
        return self._years[year]

    def _admin_rows(self, year: int):
        if self._rows is not None:
            return [row for row in self._rows if row[0].year == year]
        return self._load_year(year) if self._load_year else []

    def holiday_name(self, day: datetime.date) -> str:
        """The holiday's name, in the active language when it is the package's, when
        ``day`` is one (weekends are not named); else ""."""
        return self.holidays_between(day, day).get(day, "")

    def holidays_between(self, start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
        """The named days off from ``start`` to ``end`` (both included), in date order."""
        language = translation.get_language() or "th"
        days = {}
        for year in range(start.year, end.year + 1):
            days_off = self._year(year)[0]
            names = thai_holidays(year, language)
            days.update({day: names.get(day, name) for day, name in days_off.items() if start <= day <= end})
        return dict(sorted(days.items()))

    def is_working_day(self, day: datetime.date) -> bool:
        days_off, working = self._year(day.year)
        if day in working:
            return True
        return day.weekday() not in (SATURDAY, SUNDAY) and day not in days_off

    def next_working_day(self, day: datetime.date) -> datetime.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        for offset in range(LONGEST_BREAK_DAYS):
            candidate = day + datetime.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {LONGEST_BREAK_DAYS} days of {day}")

    def add_working_days(self, day: datetime.date, count: int) -> datetime.date:
        """The ``count``-th working day after ``day`` (before it when ``count`` is
        negative); ``day`` itself for 0. ``day`` need not be a working day: one working
        day after a Saturday is the Monday, one before it the Friday."""
        step = datetime.timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        candidate = day
        gap = 0
        while remaining:
            candidate += step
            if self.is_working_day(candidate):
                remaining -= 1
                gap = 0
            else:
                gap += 1
                if gap > LONGEST_BREAK_DAYS:
                    raise ValueError(f"no working day within {LONGEST_BREAK_DAYS} days of {candidate}")
        return candidate

    def working_days_after(self, start: datetime.date, end: datetime.date) -> int:
        """How many working days lie after ``start`` up to ``end`` (included): a
        submission of Monday has waited 1 working day on Tuesday. 0 when ``end`` is not
        after ``start``."""
        count = 0
        day = start
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def effective_due_date(self, due_date: datetime.date, move_to_working_day: bool) -> datetime.date:
        """The deadline every rule uses: ``due_date``, or when the fiscal year says so and
        it falls on a non-working day, the next working day."""
        return self.next_working_day(due_date) if move_to_working_day else due_date
