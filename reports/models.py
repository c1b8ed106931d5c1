"""What units and auditors write during the year."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators.models import QUARTER_VALIDATORS, Indicator

SCORE_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def score_field(verbose_name):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SCORE_VALIDATORS,
    )


def score_in_range(field):
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0, f"{field}__lte": 100})


class QuarterReport(models.Model):
    """A unit's report for one quarter: the cumulative result and the narrative."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for revision")
        ACCEPTED = "accepted", _("accepted")

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="reports", verbose_name=_("indicator")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=QUARTER_VALIDATORS)
    result = models.DecimalField(
        _("result"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    narrative = models.TextField(_("narrative report"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    is_late = models.BooleanField(_("submitted late"), default=False)
    return_comment = models.TextField(_("comment when returned"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["indicator", "quarter"]
        verbose_name = _("quarter report")
        verbose_name_plural = _("quarter reports")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "quarter"], name="unique_report_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="report_quarter_in_1_4"),
            models.CheckConstraint(
                condition=Q(result__isnull=True) | Q(result__gte=0), name="report_result_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.indicator.full_code} Q{self.quarter}"

    @property
    def is_editable_by_unit(self):
        """Staff may change a draft or a report returned to them, nothing else."""
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


def evidence_path(instance, filename):
    """A generated name: what users call their files never reaches the file system."""
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    """A file supporting a quarter report, stored outside static/ under a generated name
    and downloaded only through a view that checks rights."""

    report = models.ForeignKey(
        QuarterReport, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("report")
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "uploaded_at", "pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.original_name


class AuditScore(models.Model):
    """The auditors' (สยป.) evaluation of one quarter of an indicator."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="scores", verbose_name=_("indicator")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=QUARTER_VALIDATORS)
    score = score_field(_("quarter score"))
    criterion_1 = score_field(_("criterion 2.1"))
    criterion_2 = score_field(_("criterion 2.2"))
    is_verification = models.BooleanField(
        _("is the indicator's verification"),
        default=False,
        help_text=_("The quarter the auditors formally verified (shown on the sheet's top line)."),
    )
    comment = models.TextField(_("comment"), blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auditor"),
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "quarter"]
        verbose_name = _("audit score")
        verbose_name_plural = _("audit scores")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "quarter"], name="unique_score_per_quarter"),
            models.UniqueConstraint(
                fields=["indicator"],
                condition=Q(is_verification=True),
                name="one_verification_per_indicator",
            ),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="score_quarter_in_1_4"),
            models.CheckConstraint(condition=score_in_range("score"), name="score_in_0_100"),
            models.CheckConstraint(condition=score_in_range("criterion_1"), name="criterion_1_in_0_100"),
            models.CheckConstraint(condition=score_in_range("criterion_2"), name="criterion_2_in_0_100"),
        ]

    def __str__(self):
        return f"{self.indicator.full_code} Q{self.quarter}: {self.score}"


class AnnualSummary(models.Model):
    """The year-end performance summary (สรุปผลการดำเนินงาน) of an indicator."""

    indicator = models.OneToOneField(
        Indicator, on_delete=models.CASCADE, related_name="annual_summary", verbose_name=_("indicator")
    )
    text = models.TextField(_("performance summary"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("annual summary")
        verbose_name_plural = _("annual summaries")

    def __str__(self):
        return str(self.indicator)
