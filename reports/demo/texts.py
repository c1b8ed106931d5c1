"""The demo's Thai texts: quarter narratives, drafts and annual summaries.

They are built from whole sentences (never cut to a length), every date they mention
lies inside the quarter they report on (fiscal year 2569's first quarter is October -
December 2568) and none lies after the moment the text was written, and their last
sentence agrees with the figures (on target or behind)."""

import datetime
import random
from decimal import Decimal

from indicators import thai
from indicators.calendar import WorkingCalendar
from reports.demo import pools
from reports.demo.pools import IndicatorTemplate


def months_of_quarter(year_be: int, quarter: int) -> list[datetime.date]:
    """The first days of the quarter's three months."""
    start, _ = thai.fiscal_year_bounds(year_be)
    firsts = []
    for offset in range(3):
        index = start.month - 1 + 3 * (quarter - 1) + offset
        firsts.append(datetime.date(start.year + index // 12, index % 12 + 1, 1))
    return firsts


def month_and_year(first_day: datetime.date) -> str:
    """ "ตุลาคม 2568" """
    return f"{thai.THAI_MONTHS[first_day.month - 1]} {thai.be_year(first_day.year)}"


def last_day_of_month(first_day: datetime.date) -> datetime.date:
    following = (first_day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def working_days(calendar: WorkingCalendar, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The working days from ``start`` to ``end``, both included."""
    days = (start + datetime.timedelta(days=offset) for offset in range((end - start).days + 1))
    return [day for day in days if calendar.is_working_day(day)]


def figure(template: IndicatorTemplate, value: Decimal) -> str:
    """A figure as a sentence reads it: "ร้อยละ 80", "1,200 ราย", "2,500,000 บาท"."""
    places = None if value == value.to_integral_value() else 2
    return pools.UNIT_WORDS[template.unit].format(value=thai.format_number(value, places))


def meets_target(template: IndicatorTemplate, result: Decimal, target: Decimal) -> bool:
    return result <= target if template.lower_is_better else result >= target


def month_sentences(
    rng: random.Random,
    template: IndicatorTemplate,
    fiscal_year: int,
    quarter: int,
    until: datetime.date,
    activities: list[str],
    calendar: WorkingCalendar,
) -> list[str]:
    """One sentence per month of the quarter that has begun by ``until``, some with an
    event dated on a working day on or before ``until``; consumes ``activities`` from
    the front."""
    sentences = []
    for position, first_day in enumerate(months_of_quarter(fiscal_year, quarter)):
        if first_day > until:
            break
        if quarter == 1 and position == 0:
            what = pools.YEAR_START.get(template.theme, pools.YEAR_START_DEFAULT)
        else:
            what = activities.pop(0)
        sentence = f"ในเดือน{month_and_year(first_day)} {what}"
        days = working_days(calendar, first_day, min(last_day_of_month(first_day), until))
        if days and rng.random() < 0.5:
            day = rng.choice(days)
            event = rng.choice(pools.DATED_EVENTS).format(
                date=thai.format_date(day), meeting=f"{quarter}/{fiscal_year}"
            )
            sentence += f" และ{event}"
        sentences.append(sentence)
    return sentences


def quarter_narrative(
    rng: random.Random,
    template: IndicatorTemplate,
    fiscal_year: int,
    quarter: int,
    result: Decimal,
    target: Decimal,
    calendar: WorkingCalendar,
) -> str:
    """A submitted quarter's report: what was done month by month, the quarter's figures
    against the target, and whether that is on target. Written after the quarter ended."""
    activities = rng.sample(pools.ACTIVITIES[template.theme], len(pools.ACTIVITIES[template.theme]))
    quarter_end = thai.quarter_end(fiscal_year, quarter)
    sentences = month_sentences(rng, template, fiscal_year, quarter, quarter_end, activities, calendar)
    done = activities[: rng.randint(2, len(activities))]
    sentences.append(
        "ผลการดำเนินงานในไตรมาสนี้ ดังนี้ "
        + " ".join(f"{number}.{what} {pools.DONE}" for number, what in enumerate(done, start=1))
    )
    if template.cumulative:
        sentences.append(
            f"ผลการดำเนินงานสะสม ณ สิ้นไตรมาส {figure(template, result)} "
            f"จากค่าเป้าหมายสะสม {figure(template, target)}"
        )
    else:
        limit = "ค่าเป้าหมายไม่เกิน" if template.lower_is_better else "ค่าเป้าหมาย"
        sentences.append(
            f"ผลการดำเนินงานของไตรมาสนี้ {figure(template, result)} {limit} {figure(template, target)}"
        )
    sentences.append(pools.ON_TRACK if meets_target(template, result, target) else pools.BEHIND)
    return " ".join(sentences)


def draft_narrative(
    rng: random.Random,
    template: IndicatorTemplate,
    fiscal_year: int,
    quarter: int,
    today: datetime.date,
    calendar: WorkingCalendar,
) -> str:
    """A draft of the quarter under way: the months begun so far, nothing after ``today``."""
    activities = rng.sample(pools.ACTIVITIES[template.theme], len(pools.ACTIVITIES[template.theme]))
    sentences = month_sentences(rng, template, fiscal_year, quarter, today, activities, calendar)
    return " ".join([*sentences, pools.DRAFT_END])


def annual_summary(
    rng: random.Random, template: IndicatorTemplate, fiscal_year: int, result: Decimal, target: Decimal
) -> str:
    """The year-end summary: the year's result against the annual target, the main work,
    and whether the target was met."""
    highlights = rng.sample(pools.ACTIVITIES[template.theme], 3)
    return " ".join(
        (
            f"ผลการดำเนินงานประจำปีงบประมาณ พ.ศ. {fiscal_year} {figure(template, result)} "
            f"เทียบกับค่าเป้าหมาย {figure(template, target)}",
            f"การดำเนินงานสำคัญในรอบปี ได้แก่ {highlights[0]} {highlights[1]} และ{highlights[2]}",
            pools.YEAR_ON_TRACK if meets_target(template, result, target) else pools.YEAR_BEHIND,
        )
    )
