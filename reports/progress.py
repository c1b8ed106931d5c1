"""Where an indicator stands in one quarter of its fiscal year: reported or not, on
track or behind its target, late. The definitions behind the dashboard's figures and
the indicator list's progress filter, computed in the database."""

from django.db import models
from django.db.models import BooleanField, Case, CharField, F, FilteredRelation, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator
from reports.models import QuarterReport


class QuarterProgress(models.TextChoices):
    """Where an indicator stands in one quarter (see ``with_quarter_progress``)."""

    ON_TRACK = "on_track", _("on track")
    BEHIND = "behind", _("behind target")
    NO_TARGET = "no_target", _("no target to compare")
    NOT_REPORTED = "not_reported", _("not yet reported")
    # Overlaps the four above: a late indicator is also on track, behind, ... or not reported.
    LATE = "late", _("late")


def with_quarter_progress(indicators: QuerySet, quarter: int, today=None) -> QuerySet:
    """Annotate each indicator with where it stands in ``quarter`` of its fiscal year,
    computed in the database (three LEFT JOINs, each matching at most one row):

    - ``quarter_status``, ``quarter_result``: its QuarterReport for the quarter, if any;
    - ``quarter_target``: the QuarterTarget of the quarter; when missing, the annual
      target for quarter 4 (the cumulative Q4 target is the annual one; a non-cumulative
      target applies to every quarter), otherwise none;
    - ``quarter_due``: the quarter's reporting deadline (FiscalQuarter.due_date);
    - ``quarter_reported``: the report is submitted or accepted (a draft or a report
      returned for revision is not reported);
    - ``quarter_progress`` (a QuarterProgress value): *not_reported* unless reported;
      *no_target* when reported without a target or a result to compare; *on_track*
      when the result reaches the target (>= when higher is better, <= when lower is
      better); else *behind*;
    - ``quarter_late``: reported after the deadline (QuarterReport.is_late), or not
      reported and the deadline has passed. It overlaps the progress values.
    """
    today = today or timezone.localdate()
    reported = Q(quarter_status__in=QuarterReport.REPORTED)
    target = F("quarter_plan__target")
    if quarter == 4:
        target = Coalesce(target, F("annual_target"))
    reaches_target = Q(
        direction=Indicator.Direction.HIGHER_IS_BETTER, quarter_result__gte=F("quarter_target")
    ) | Q(direction=Indicator.Direction.LOWER_IS_BETTER, quarter_result__lte=F("quarter_target"))
    return (
        indicators.annotate(
            quarter_report=FilteredRelation("reports", condition=Q(reports__quarter=quarter)),
            quarter_plan=FilteredRelation("targets", condition=Q(targets__quarter=quarter)),
            quarter_period=FilteredRelation(
                "fiscal_year__quarters", condition=Q(fiscal_year__quarters__quarter=quarter)
            ),
        )
        .annotate(
            quarter_status=F("quarter_report__status"),
            quarter_result=F("quarter_report__result"),
            quarter_target=target,
            quarter_due=F("quarter_period__due_date"),
        )
        .annotate(
            quarter_reported=Case(When(reported, then=True), default=False, output_field=BooleanField()),
            quarter_progress=Case(
                When(
                    reported & (Q(quarter_result__isnull=True) | Q(quarter_target__isnull=True)),
                    then=Value(QuarterProgress.NO_TARGET),
                ),
                When(reported & reaches_target, then=Value(QuarterProgress.ON_TRACK)),
                When(reported, then=Value(QuarterProgress.BEHIND)),
                default=Value(QuarterProgress.NOT_REPORTED),
                output_field=CharField(),
            ),
            quarter_late=Case(
                When(reported, then=F("quarter_report__is_late")),
                When(quarter_due__lt=today, then=True),
                default=False,
                output_field=BooleanField(),
            ),
        )
    )


def in_progress(indicators: QuerySet, value: str) -> QuerySet:
    """Indicators with ``value`` (a QuarterProgress) in the quarter given to
    ``with_quarter_progress``, which must come first."""
    if value == QuarterProgress.LATE:
        return indicators.filter(quarter_late=True)
    return indicators.filter(quarter_progress=value)
