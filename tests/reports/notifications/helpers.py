"""What the notification tests do often: move the clock, submit, review."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from reports import services
from reports.models import QuarterReport, Review

BANGKOK = ZoneInfo("Asia/Bangkok")


def at(day: datetime.date, hour: int, minute: int = 0):
    moment = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)
    return time_machine.travel(moment, tick=False)


def submit(indicator, user, quarter=2):
    report = QuarterReport.objects.filter(indicator=indicator, quarter=quarter).first()
    return services.save_report(
        indicator,
        quarter,
        user,
        result=Decimal("10"),
        narrative="ผลการดำเนินงาน",
        version=report.version if report else 0,
        submit=True,
    )


def review(indicator, auditor, accept, comment="", quarter=2):
    report = QuarterReport.objects.get(indicator=indicator, quarter=quarter)
    services.review_report(
        report, auditor, accept=accept, version=report.version, review=Review(comment=comment)
    )
