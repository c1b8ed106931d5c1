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


def with_quarter_progress(
    indicators: QuerySet, quarter: int, today=None, prefix: str = "quarter"
) -> QuerySet:
    """Annotate each indicator with where it stands in ``quarter`` of its fiscal year,
    computed in the database (three LEFT JOINs, each matching at most one row):

    - ``quarter_status``, ``quarter_result``: its QuarterReport for the quarter, if any;
    - ``quarter_target``: the QuarterTarget of the quarter; when missing, the annual
      target for quarter 4 (the cumulative Q4 target is the annual one; a non-cumulative
      target applies to every quarter), otherwise none;
    - ``quarter_due``: the quarter's effective reporting deadline
      (FiscalQuarter.effective_due_date: moved off non-working days when the year says so);
    - ``quarter_reported``: the report is submitted or accepted (a draft or a report
      returned for revision is not reported);
    - ``quarter_progress`` (a QuarterProgress value): *not_reported* unless reported;
      *no_target* when reported without a target or a result to compare; *on_track*
      when the result reaches the target (>= when higher is better, <= when lower is
      better); else *behind*;
    - ``quarter_late``: reported after the deadline (QuarterReport.is_late), or not
      reported and the deadline has passed. It overlaps the progress values.

    Another ``prefix`` names them ``<prefix>_status`` and so on, so that one query can
    annotate several quarters (the dashboard counts the four in one query).
    """
    today = today or timezone.localdate()
    report, plan, period = f"{prefix}_report", f"{prefix}_plan", f"{prefix}_period"
    status, result, target_name = f"{prefix}_status", f"{prefix}_result", f"{prefix}_target"
    due, reported_name = f"{prefix}_due", f"{prefix}_reported"
    reported = Q(**{f"{status}__in": QuarterReport.REPORTED})
    target = F(f"{plan}__target")
    if quarter == 4:
        target = Coalesce(target, F("annual_target"))
    reaches_target = Q(
        direction=Indicator.Direction.HIGHER_IS_BETTER, **{f"{result}__gte": F(target_name)}
    ) | Q(direction=Indicator.Direction.LOWER_IS_BETTER, **{f"{result}__lte": F(target_name)})
    no_comparison = Q(**{f"{result}__isnull": True}) | Q(**{f"{target_name}__isnull": True})
    return (
        indicators.annotate(
            **{
                report: FilteredRelation("reports", condition=Q(reports__quarter=quarter)),
                plan: FilteredRelation("targets", condition=Q(targets__quarter=quarter)),
                period: FilteredRelation(
                    "fiscal_year__quarters", condition=Q(fiscal_year__quarters__quarter=quarter)
                ),
            }
        )
        .annotate(
            **{
                status: F(f"{report}__status"),
                result: F(f"{report}__result"),
                target_name: target,
                due: F(f"{period}__effective_due_date"),
            }
        )
        .annotate(
            **{
                reported_name: Case(When(reported, then=True), default=False, output_field=BooleanField()),
                f"{prefix}_progress": Case(
                    When(reported & no_comparison, then=Value(QuarterProgress.NO_TARGET)),
                    When(reported & reaches_target, then=Value(QuarterProgress.ON_TRACK)),
                    When(reported, then=Value(QuarterProgress.BEHIND)),
                    default=Value(QuarterProgress.NOT_REPORTED),
                    output_field=CharField(),
                ),
                f"{prefix}_late": Case(
                    When(reported, then=F(f"{report}__is_late")),
                    When(**{f"{due}__lt": today}, then=True),
                    default=False,
                    output_field=BooleanField(),
                ),
            }
        )
    )


def in_progress(indicators: QuerySet, value: str) -> QuerySet:
    """Indicators with ``value`` (a QuarterProgress) in the quarter given to
    ``with_quarter_progress``, which must come first."""
    if value == QuarterProgress.LATE:
        return indicators.filter(quarter_late=True)
    return indicators.filter(quarter_progress=value)
