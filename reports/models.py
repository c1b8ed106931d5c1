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


class SheetRender(models.Model):
    """A detail sheet rendered to PDF for books, reused while its content is unchanged."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="renders", verbose_name=_("indicator")
    )
    fingerprint = models.CharField(_("content fingerprint"), max_length=64)
    file = models.FileField(_("file"), upload_to="sheets/%Y/%m/", max_length=200)
    page_count = models.PositiveSmallIntegerField(_("pages"))
    rendered_at = models.DateTimeField(_("rendered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rendered sheet")
        verbose_name_plural = _("rendered sheets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "fingerprint"], name="unique_render_per_content"),
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.fingerprint[:12]}"


class Book(models.Model):
    """One PDF of many detail sheets, built in the background in chunks."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RENDERING = "rendering", _("rendering sheets")
        ASSEMBLING = "assembling", _("assembling the book")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    title = models.CharField(_("title"), max_length=300)
    description = models.CharField(_("selection"), max_length=500, blank=True)
    query = models.CharField(_("list filters"), max_length=1000, blank=True)
    indicator_ids = models.JSONField(_("indicators, in book order"), default=list)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ordered by")
    )
    ordered_at = models.DateTimeField(_("ordered at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("sheets"), default=0)
    reused = models.PositiveIntegerField(_("sheets reused"), default=0)
    file = models.FileField(_("file"), upload_to="books/%Y/%m/", max_length=200, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), default=0)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        verbose_name = _("book")
        verbose_name_plural = _("books")

    def __str__(self):
        return self.title


class BookChunk(models.Model):
    """A slice of a book's sheets, rendered by one task. A chunk whose worker died
    (its lease ran out) is handed to another worker; rendering is idempotent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("book"))
    index = models.PositiveIntegerField(_("index"))
    indicator_ids = models.JSONField(_("indicators"), default=list)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    done_count = models.PositiveIntegerField(_("sheets done"), default=0)
    reused_count = models.PositiveIntegerField(_("sheets reused"), default=0)
    render_ids = models.JSONField(_("rendered sheets"), default=list)
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["book", "index"]
        verbose_name = _("book chunk")
        verbose_name_plural = _("book chunks")
        constraints = [
            models.UniqueConstraint(fields=["book", "index"], name="unique_chunk_per_book"),
        ]

    def __str__(self):
        return f"{self.book_id}/{self.index}"


class WorkerHeartbeat(models.Model):
    """A book worker's sign of life, written at every poll and task (reports.workers).
    The health check (/health/background/) reads it; a worker that stops cleanly
    removes its row, a killed one leaves it to grow old."""

    worker = models.CharField(_("worker"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process"))
    started_at = models.DateTimeField(_("started at"))
    beat_at = models.DateTimeField(_("last sign of life"), db_index=True)

    class Meta:
        ordering = ["worker"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return self.worker
