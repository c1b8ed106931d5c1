"""What units and auditors write during the year, and the books printed from it.

A quarter report changes only through its methods (``save_draft``, ``submit``,
``accept``, ``return_for_revision``, ``reopen``), whichever door leads there (the
entry and review pages, the demo, tests): each checks the quarter's lock, the
report's status and the version the user started from, in one transaction, and
records who did it. A refused change raises a ``ReportRefused``.
"""

import datetime
import unicodedata
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators import audit
from indicators.models import QUARTER_VALIDATORS, FiscalQuarter, Indicator
from reports import autosave_sql

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


class ReportRefused(Exception):
    """A change of a report that must not happen; the page says why."""


class QuarterLocked(ReportRefused):
    pass


class NotEditable(ReportRefused):
    """The report is not in a status that allows the change (or it was deleted)."""


class VersionConflict(ReportRefused):
    """Someone saved the report since the user loaded it; ``current`` is what is stored."""

    def __init__(self, current: "QuarterReport"):
        super().__init__("version conflict")
        self.current = current


@dataclass
class Review:
    """What an auditor records for a quarter with its acceptance or return."""

    score: Decimal | None = None
    criterion_1: Decimal | None = None
    criterion_2: Decimal | None = None
    is_verification: bool = False
    comment: str = ""


def shortened(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut before a letter whose marks would
    be cut off (Thai vowels and tone marks follow their consonant), with "…" when cut."""
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and unicodedata.category(text[end]) == "Mn":
        end -= 1
    return text[:end].rstrip() + "…"


class QuarterReport(models.Model):
    """A unit's report for one quarter: the cumulative result and the narrative."""

    NARRATIVE_MAX_LENGTH = 20_000
    # Draft saves by one person within this time of their previous one update that
    # history row instead of adding one (``_record_draft_history``).
    DRAFT_HISTORY_WINDOW = datetime.timedelta(minutes=10)

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for revision")
        ACCEPTED = "accepted", _("accepted")

    # Reported: submitted or accepted (a draft or a report returned for revision is not).
    REPORTED = (Status.SUBMITTED, Status.ACCEPTED)

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
    is_migrated = models.BooleanField(
        _("migrated from the old system"),
        default=False,
        help_text=_("Imported with a whole sheet (reports/migration): nobody submitted or reviewed it here."),
    )
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
        return gettext("%(code)s Q%(quarter)s") % {
            "code": self.indicator.full_code,
            "quarter": self.quarter,
        }

    @property
    def is_editable_by_unit(self):
        """Staff may change a draft or a report returned to them, nothing else."""
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_submitted(self):
        """Waiting for the auditors' review."""
        return self.status == self.Status.SUBMITTED

    @property
    def is_accepted(self):
        return self.status == self.Status.ACCEPTED

    @property
    def is_returned(self):
        return self.status == self.Status.RETURNED

    @classmethod
    def for_quarter(cls, indicator: Indicator, quarter: int) -> "QuarterReport":
        """The stored report of ``quarter``, else a new one (unsaved, version 0)."""
        stored = cls.objects.filter(indicator=indicator, quarter=quarter).first()
        return stored or cls(indicator=indicator, quarter=quarter, version=0)

    def fiscal_quarter(self) -> FiscalQuarter | None:
        """The quarter's deadline and lock (one query)."""
        return FiscalQuarter.objects.filter(
            fiscal_year__indicators=self.indicator_id, quarter=self.quarter
        ).first()

    # -- the unit's changes ----------------------------------------------------------------

    @transaction.atomic
    def save_draft(self, *, by, result: Decimal | None, narrative: str, version: int) -> None:
        """Store the unit's result and narrative, the report staying a draft (or returned).

        A stored report changes in one statement that is also the check: the version the
        user started from, a status the unit may change and a quarter not locked are its
        conditions (the autosave runs this every few seconds for every typist at deadline
        time). Only when it changes nothing is the report read again, to say why."""
        if self.pk is None:
            self._write_by_unit(by, result, narrative, version)
            return
        now = timezone.now()
        claimed = autosave_sql.execute(
            autosave_sql.claim_sql(QuarterReport, FiscalQuarter, Indicator),
            [
                version + 1,
                autosave_sql.prepared(QuarterReport, "result", result),
                narrative,
                by.pk,
                autosave_sql.prepared(QuarterReport, "updated_at", now),
                self.pk,
                version,
                self.Status.DRAFT.value,
                self.Status.RETURNED.value,
                self.indicator_id,
                self.quarter,
            ],
        )
        if not claimed:
            self._refuse_draft()
        # The version matched: every other field is as this object read it.
        self.version, self.result, self.narrative = version + 1, result, narrative
        self.updated_by, self.updated_at = by, now
        self._record_draft_history(by, now)

    def _record_draft_history(self, by, now) -> None:
        """The draft's history row: a new one, or the latest one brought up to date when it
        is ``by``'s own draft save of less than DRAFT_HISTORY_WINDOW ago (same status,
        no reason given). An autosave every few seconds would otherwise add a row, the
        whole narrative, per pause in typing; the history keeps who changed what, with
        each person's text as it stood when they stopped for a while or someone else
        (an auditor, a colleague, a submission) came in between."""
        history = HistoricalQuarterReport
        brought_up_to_date = autosave_sql.execute(
            autosave_sql.history_sql(history),
            [
                autosave_sql.prepared(history, "history_date", now),
                autosave_sql.prepared(history, "result", self.result),
                self.narrative,
                self.version,
                by.pk,
                self.pk,
                "~",
                by.pk,
                str(self.status),
                autosave_sql.prepared(history, "history_date", now - self.DRAFT_HISTORY_WINDOW),
            ],
        )
        if not brought_up_to_date:
            self._history_user = by
            QuarterReport.history.bulk_history_create(
                [self], update=True, default_user=by, default_change_reason=None, default_date=now
            )

    def _refuse_draft(self) -> None:
        """Why a draft save changed nothing: QuarterLocked, NotEditable or VersionConflict."""
        period = self.fiscal_quarter()
        if period is not None and period.is_locked:
            raise QuarterLocked("locked")
        current = QuarterReport.objects.filter(pk=self.pk).first()
        if current is None:
            raise VersionConflict(QuarterReport.for_quarter(self.indicator, self.quarter))
        if not current.is_editable_by_unit:
            raise NotEditable(current.status)
        raise VersionConflict(current)

    @transaction.atomic
    def submit(self, *, by, result: Decimal | None, narrative: str, version: int) -> None:
        """Store the unit's result and narrative and send them to the auditors; marked
        late when after the quarter's deadline."""
        period = self._write_by_unit(by, result, narrative, version, submitting=True)
        self.status = self.Status.SUBMITTED
        self.submitted_at = timezone.now()
        self.submitted_by = by
        self.is_late = period is not None and period.is_past_due(self.submitted_at)
        self._store(by)

    def _write_by_unit(self, by, result, narrative, version, submitting=False) -> FiscalQuarter | None:
        """Check the lock, the status and ``version`` (the report's version the user started
        from, 0 for a new one), then set the text; saved unless ``submitting``. Raises
        QuarterLocked, NotEditable or VersionConflict."""
        period = self.fiscal_quarter()
        if period is not None and period.is_locked:
            raise QuarterLocked("locked")
        if self.pk is None:
            if version != 0:
                raise VersionConflict(
                    QuarterReport(indicator=self.indicator, quarter=self.quarter, version=0)
                )
            self.version = 1
        else:
            if not self.is_editable_by_unit:
                raise NotEditable(self.status)
            self._claim(version)
        self.result, self.narrative, self.updated_by = result, narrative, by
        if not submitting:
            self._store(by)
        return period

    def _claim(self, version: int, **condition) -> None:
        """Compare and set the version in one statement, so two changes racing cannot both
        pass; VersionConflict (NotEditable when ``condition`` fails) otherwise."""
        claimed = QuarterReport.objects.filter(pk=self.pk, version=version, **condition).update(
            version=version + 1
        )
        if not claimed:
            current = QuarterReport.objects.filter(pk=self.pk).first()
            if current is None and not condition:
                raise VersionConflict(QuarterReport.for_quarter(self.indicator, self.quarter))
            if current is None or any(getattr(current, name) != value for name, value in condition.items()):
                raise NotEditable(current.status if current else "deleted")
            raise VersionConflict(current)
        self.version = version + 1

    def _store(self, by, reason: str | None = None) -> None:
        self._history_user = by
        if reason is not None:
            self._change_reason = reason
        try:
            with transaction.atomic():
                self.save()
        except IntegrityError:
            # Another save created this quarter's report a moment ago.
            raise VersionConflict(QuarterReport.for_quarter(self.indicator, self.quarter)) from None

    # -- the auditors' and administrators' changes ------------------------------------------

    @transaction.atomic
    def accept(self, *, by, version: int, review: Review) -> "AuditScore":
        """Record the auditors' scores and accept the report: the quarter locks for the unit."""
        return self._review(by, version, review, accepted=True)

    @transaction.atomic
    def return_for_revision(self, *, by, version: int, review: Review) -> "AuditScore":
        """Record the auditors' scores and hand the report back with ``review.comment``."""
        return self._review(by, version, review, accepted=False)

    def _review(self, by, version: int, review: Review, accepted: bool) -> "AuditScore":
        self._claim(version, status=self.Status.SUBMITTED)
        audit = AuditScore.record(self, by, review)
        self.status = self.Status.ACCEPTED if accepted else self.Status.RETURNED
        self.return_comment = "" if accepted else review.comment
        self.reviewed_at = timezone.now()
        self.reviewed_by = by
        self._store(by)
        return audit

    @transaction.atomic
    def reopen(self, *, by, reason: str, request=None) -> None:
        """An administrator hands an accepted report back to its unit, saying why (also
        written to the audit log)."""
        claimed = QuarterReport.objects.filter(pk=self.pk, status=self.Status.ACCEPTED).update(
            version=self.version + 1
        )
        if not claimed:
            raise NotEditable(self.status)
        self.refresh_from_db()
        self.status = self.Status.RETURNED
        self.return_comment = reason
        # The unit sees who handed it back, and when, beside the reason.
        self.reviewed_at, self.reviewed_by = timezone.now(), by
        # The whole reason is the report's return comment (and in its history); the
        # history's change-reason column holds 100 characters.
        self._store(by, reason=shortened(reason, 100))
        audit.record(
            audit.AuditEvent.Kind.REPORT_REOPENED,
            request=request,
            user=by,
            indicator=self.indicator.full_code,
            fiscal_year=self.indicator.fiscal_year.year,
            quarter=self.quarter,
            reason=shortened(reason, 500),
        )

    def attach_evidence(self, upload, by) -> "EvidenceFile":
        """Store ``upload`` (checked by the entry form, ``detected_type`` set) as evidence."""
        evidence = EvidenceFile(
            report=self,
            original_name=upload.name[:255],
            content_type=upload.detected_type,
            size=upload.size,
            uploaded_by=by,
        )
        evidence.file.save(upload.name, upload, save=False)
        evidence._history_user = by
        evidence.save()
        return evidence


# The historical model, looked up once: ``QuarterReport.history`` builds a new manager
# class on every access (simple_history's descriptor), half a millisecond of CPU that
# the autosave, run every few seconds by everyone typing, need not pay.
HistoricalQuarterReport = QuarterReport.history.model


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

    @transaction.atomic
    def remove(self, by) -> None:
        """Delete the file, as the unit may while its report is editable and not locked."""
        report = self.report
        period = report.fiscal_quarter()
        if period is not None and period.is_locked:
            raise QuarterLocked("locked")
        if not report.is_editable_by_unit:
            raise NotEditable(report.status)
        self._history_user = by
        stored = self.file
        self.delete()
        transaction.on_commit(lambda: stored.delete(save=False))


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
        name = gettext("%(code)s Q%(quarter)s") % {"code": self.indicator.full_code, "quarter": self.quarter}
        return f"{name}: {self.score}"

    @classmethod
    def record(cls, report: QuarterReport, by, review: Review) -> "AuditScore":
        """The scores of ``report``'s quarter as reviewed by ``by``; at most one quarter
        of an indicator is its verification."""
        if review.is_verification:
            others = cls.objects.filter(indicator=report.indicator_id, is_verification=True)
            for other in others.exclude(quarter=report.quarter):
                other.is_verification = False
                other._history_user = by
                other.save()
        audit = cls.objects.filter(indicator_id=report.indicator_id, quarter=report.quarter).first()
        audit = audit or cls(indicator_id=report.indicator_id, quarter=report.quarter)
        audit.score, audit.criterion_1, audit.criterion_2 = (
            review.score,
            review.criterion_1,
            review.criterion_2,
        )
        audit.is_verification, audit.comment = review.is_verification, review.comment
        audit.auditor, audit.scored_at = by, timezone.now()
        audit._history_user = by
        audit.save()
        return audit


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
    # The content key (reports/sheet_version.py) under which this render was last found
    # current: while the sheet's key is this, the render is reused without its HTML.
    content_key = models.CharField(_("content key"), max_length=64, blank=True, db_index=True)
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
    # Who assembles it, until when: a worker that dies mid-assembly stops renewing the
    # lease, and the assembly is queued again for another (reports.books.recovery).
    assembler = models.CharField(_("assembling worker"), max_length=100, blank=True)
    assembly_lease_until = models.DateTimeField(_("assembly lease until"), null=True, blank=True)
    assembly_attempts = models.PositiveSmallIntegerField(_("assembly attempts"), default=0)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        verbose_name = _("book")
        verbose_name_plural = _("books")

    def __str__(self):
        return self.title

    @property
    def is_running(self):
        """Still being built: its page follows the progress."""
        return self.status in (self.Status.QUEUED, self.Status.RENDERING, self.Status.ASSEMBLING)

    @property
    def is_done(self):
        return self.status == self.Status.DONE

    @property
    def is_failed(self):
        return self.status == self.Status.FAILED


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


# -- notifications (reports/notifications/) ------------------------------------------------


class NotificationKind(models.TextChoices):
    """What a user turns on or off, per channel (in the portal, by mail)."""

    REMINDERS = "reminders", _("deadline reminders")
    REVIEWS = "reviews", _("reports returned or accepted")
    DIGESTS = "digests", _("digests for auditors and executives")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in the portal's notification list (the navigation counts the unread)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_list_idx"),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A user's channels for one kind of notification; without a row, both are on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the portal"), default=True)
    email = models.BooleanField(_("by email"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_and_kind"),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()}"


class SentReminder(models.Model):
    """A reminder handled for one person: the unique constraint makes each go out once,
    across restarts and workers running the pass at the same time (the row is inserted
    in the transaction that writes the notification and the mail)."""

    class Reason(models.TextChoices):
        DEADLINE = "deadline", _("reports due or late (unit staff)")
        HEAD_COPY = "head_copy", _("copy of late reports (head of unit)")
        REVIEW_WAITING = "review_waiting", _("submissions waiting for review (auditors)")
        LATE_UNITS = "late_units", _("units with late reports (executives)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    fiscal_quarter = models.ForeignKey(
        FiscalQuarter, on_delete=models.CASCADE, related_name="+", verbose_name=_("fiscal quarter")
    )
    step = models.CharField(
        _("step"), max_length=64, help_text=_("e.g. before-5, due, after-3, or the submission waited on")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "reason", "fiscal_quarter", "step"], name="reminder_sent_once"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.reason} {self.fiscal_quarter} {self.step}"


class OutgoingMail(models.Model):
    """A mail waiting to be sent, sent, or given up on after its attempts (shown to
    administrators with the error): written in the transaction of what it tells, sent
    afterwards by ``reports.notifications.mail``; never silently dropped."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed: gave up")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    to = models.EmailField(_("to"))
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(_("subject"), max_length=300)
    text_body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="outgoing_mail_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"


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


class FiguresVersion(models.Model):
    """One row whose number grows whenever anything the dashboard counts changes.

    Database triggers (migration ``0008_figures_version``) bump it on every insert, update
    and delete of indicators, units, strategy nodes, fiscal years and quarters and targets,
    and of quarter reports (on update only when their indicator, quarter, status, result or
    lateness changes, so that autosaving a narrative does not): whichever door wrote — a
    view, the admin, an import, a bulk update, SQL. Cached dashboard figures are keyed by it.
    """

    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("figures version")

    def __str__(self):
        return str(self.version)

    @classmethod
    def current(cls) -> int | None:
        """The number, or None when the row is missing (nothing may be cached then)."""
        return cls.objects.filter(pk=1).values_list("version", flat=True).first()


class SheetVersion(models.Model):
    """A random token that database triggers replace whenever a sheet's content changes:
    one row per indicator, and row 0 for the tables many sheets share
    (reports/sheet_version.py). Sheets' PDFs are cached and reused under a key made of them.
    No foreign key: a deleted indicator's triggers still write its row."""

    indicator_id = models.BigIntegerField(_("indicator"), primary_key=True)
    token = models.CharField(_("token"), max_length=32)

    class Meta:
        verbose_name = _("sheet version")

    def __str__(self):
        return f"{self.indicator_id} {self.token}"
