"""The indicator registry, kept by administrators."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

from indicators import audit, thai

# The audit log's model lives in its own module; imported here, Django registers it.
from indicators.audit import AuditEvent  # noqa: F401
from indicators.calendar import LONGEST_BREAK_DAYS, WorkingCalendar

QUARTERS = (1, 2, 3, 4)
QUARTER_VALIDATORS = [MinValueValidator(1), MaxValueValidator(4)]


class FiscalYear(models.Model):
    """A Thai fiscal year, 1 October - 30 September, identified by its BE year."""

    year = models.PositiveSmallIntegerField(
        _("fiscal year (B.E.)"), unique=True, validators=[MinValueValidator(2500)]
    )
    criterion_1_label = models.CharField(_("label of evaluation criterion 1"), max_length=20, default="2.1")
    criterion_2_label = models.CharField(_("label of evaluation criterion 2"), max_length=20, default="2.2")
    is_current = models.BooleanField(_("current year"), default=False)
    move_due_date_to_working_day = models.BooleanField(
        _("move deadlines on non-working days to the next working day"),
        default=False,
        help_text=_(
            "When a quarter's deadline falls on a weekend or a holiday, the deadline that counts "
            "(late reports, reminders, the pages) is the next working day."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2500), name="fiscal_year_is_buddhist_era"),
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_fiscal_year"
            ),
        ]

    def __str__(self):
        return str(self.year)

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            # The setting moves the quarters' effective deadlines (see FiscalQuarter.save).
            calendar = working_calendar()
            for period in self.quarters.all():
                period.fiscal_year = self
                period.refresh_effective_due_date(calendar)


class FiscalQuarter(models.Model):
    """One quarter of a fiscal year: its reporting deadline and lock."""

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.CASCADE, related_name="quarters", verbose_name=_("fiscal year")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=QUARTER_VALIDATORS)
    due_date = models.DateField(_("reporting deadline"))
    effective_due_date = models.DateField(
        _("effective deadline"),
        editable=False,
        help_text=_(
            "The deadline that counts: the reporting deadline, moved to the next working day "
            "when the fiscal year says so."
        ),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )

    # An unlock clears locked_by: the history keeps who locked and who unlocked.
    history = HistoricalRecords()

    class Meta:
        ordering = ["fiscal_year", "quarter"]
        verbose_name = _("fiscal quarter")
        verbose_name_plural = _("fiscal quarters")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "quarter"], name="unique_fiscal_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="fiscal_quarter_in_1_4"),
        ]

    def __str__(self):
        return gettext("%(year)s Q%(quarter)s") % {"year": self.fiscal_year, "quarter": self.quarter}

    def save(self, *args, **kwargs):
        """Keep ``effective_due_date`` right for every door (admin, import, demo, tests):
        it is derived from the deadline, the year's setting and the working calendar
        (one query for the year's holidays). ``QuerySet.update`` bypasses this: after
        one, call ``refresh_effective_due_date`` on the quarters it changed."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "due_date" in update_fields:
            self.effective_due_date = self.compute_effective_due_date()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "effective_due_date"}
        super().save(*args, **kwargs)

    @property
    def is_locked(self):
        return self.locked_at is not None

    def is_past_due(self, when=None) -> bool:
        """Whether ``when`` (a date or an aware datetime; by default now) is after the
        effective deadline (moved off a non-working day when the year says so)."""
        if when is None or isinstance(when, datetime.datetime):
            when = timezone.localdate(when)
        return when > self.effective_due_date

    def compute_effective_due_date(self, calendar: WorkingCalendar | None = None):
        due_date = self._meta.get_field("due_date").to_python(self.due_date)
        calendar = calendar or working_calendar()
        return calendar.effective_due_date(due_date, self.fiscal_year.move_due_date_to_working_day)

    def refresh_effective_due_date(self, calendar=None) -> bool:
        """Store the effective deadline again (after a holiday or the year's setting
        changed); returns whether it moved. The change is in the quarter's history."""
        effective = self.compute_effective_due_date(calendar)
        if effective == self.effective_due_date:
            return False
        self.effective_due_date = effective
        super().save(update_fields=["effective_due_date"])
        return True

    def lock(self, by, request=None) -> bool:
        """Refuse every unit edit of the quarter from now, ``by`` recorded in its history
        and the audit log. Locking a locked quarter keeps who locked it first and when.
        Whether it changed."""
        return self._set_lock(by, locked=True, request=request)

    def unlock(self, by, request=None) -> bool:
        """Lift the lock (clearing ``locked_by``: the history keeps who locked it)."""
        return self._set_lock(by, locked=False, request=request)

    @transaction.atomic
    def _set_lock(self, by, locked: bool, request=None) -> bool:
        self.refresh_from_db(from_queryset=FiscalQuarter.objects.select_for_update())
        if self.is_locked == locked:
            return False
        self.locked_at = timezone.now() if locked else None
        self.locked_by = by if locked else None
        self._history_user = by
        self.save(update_fields=["locked_at", "locked_by"])
        audit.record(
            audit.AuditEvent.Kind.QUARTER_LOCKED if locked else audit.AuditEvent.Kind.QUARTER_UNLOCKED,
            request=request,
            user=by,
            fiscal_year=self.fiscal_year.year,
            quarter=self.quarter,
        )
        return True


class OrgUnit(models.Model):
    """A district office or department (หน่วยงาน)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("district office")
        DEPARTMENT = "department", _("department")
        DIVISION = "division", _("division")

    code = models.CharField(_("unit code"), max_length=10, unique=True)
    name = models.CharField(_("unit name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self):
        return f"{self.code} {self.name}"


class StrategyNode(models.Model):
    """A node of the city's 4-level strategy tree (ด้าน › เป้าหมาย › ... )."""

    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("Arabic digits, e.g. 7.3.1.1"))
    title = models.TextField(_("title"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("strategy node")
        verbose_name_plural = _("strategy nodes")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="strategy_level_in_1_4"),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="strategy_root_has_no_parent",
            ),
        ]

    def __str__(self):
        return f"{thai.to_thai_digits(self.code)} {self.title}"

    def path(self):
        """This node and its ancestors, root first (one query per level, at most 4)."""
        nodes = [self]
        while nodes[0].parent_id is not None:
            nodes.insert(0, nodes[0].parent)
        return nodes


class CityDataSet(models.Model):
    """A city-development data set (ฐานข้อมูลประกอบตัวชี้วัดการพัฒนาเมือง)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=255)
    source = models.CharField(_("source"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("city data set")
        verbose_name_plural = _("city data sets")

    def __str__(self):
        return f"{self.code} {self.name}"


class UnitOfMeasure(models.Model):
    """A unit an indicator's target and results are counted in (ร้อยละ, ราย, ตัน, ลำ), kept
    by the administrators with the rules the entry form and the import apply to results."""

    name = models.CharField(
        _("name"),
        max_length=50,
        unique=True,
        help_text=_("As the sheet writes it after a number, e.g. ร้อยละ, ราย, ตัน."),
    )
    whole_numbers = models.BooleanField(
        _("whole numbers only"),
        default=False,
        help_text=_("Results are whole numbers (people, times, ships); else up to 2 decimal places."),
    )
    maximum = models.DecimalField(
        _("highest result"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Blank: no upper bound. The success level (0 to 5): 5."),
    )
    is_percentage = models.BooleanField(
        _("percentage"),
        default=False,
        help_text=_("A result above 100 must be confirmed by the person reporting it."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit of measure")
        verbose_name_plural = _("units of measure")
        constraints = [
            models.CheckConstraint(
                condition=Q(maximum__isnull=True) | Q(maximum__gte=0), name="unit_maximum_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    @transaction.atomic
    def save(self, *args, **kwargs):
        """Indicators refer to the unit by its name: a new name carries them along, in the
        same transaction (the foreign keys are checked at its end)."""
        old_name = None
        if self.pk is not None:
            old_name = UnitOfMeasure.objects.filter(pk=self.pk).values_list("name", flat=True).first()
        super().save(*args, **kwargs)
        if old_name is not None and old_name != self.name:
            Indicator.objects.filter(unit_of_measure_id=old_name).update(unit_of_measure_id=self.name)

    def check_result(self, result: Decimal) -> None:
        """ValidationError unless ``result`` (>= 0) suits the unit: at most its highest
        result, a whole number where it counts whole things."""
        if self.maximum is not None and result > self.maximum:
            raise ValidationError(
                _("A result in %(unit)s is between 0 and %(max)s."),
                params={"unit": self.name, "max": thai.format_number(self.maximum)},
                code="above_maximum",
            )
        if self.whole_numbers and result != result.to_integral_value():
            raise ValidationError(
                _("A result in %(unit)s is a whole number."), params={"unit": self.name}, code="not_whole"
            )


# The eight units the portal began with (migration 0009 added them) and their rules: what
# the demo and a fresh database start from. Administrators add others.
STANDARD_UNITS = {
    "ร้อยละ": {"is_percentage": True},
    "จำนวน": {"whole_numbers": True},
    "ระดับ": {"whole_numbers": True, "maximum": Decimal(5)},
    "บาท": {},
    "ครั้ง": {"whole_numbers": True},
    "ราย": {"whole_numbers": True},
    "วัน": {},
    "คะแนน": {},
}


def standard_units_of_measure() -> dict[str, UnitOfMeasure]:
    """The eight standard units by name, added where missing (an emptied database)."""
    found = {unit.name: unit for unit in UnitOfMeasure.objects.filter(name__in=STANDARD_UNITS)}
    for name, rules in STANDARD_UNITS.items():
        if name not in found:
            found[name] = UnitOfMeasure.objects.create(name=name, **rules)
    return found


class IndicatorQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("fiscal_year", "org_unit").order_by(
            "-fiscal_year__year", "org_unit__code", "sequence", "code"
        )

    def search(self, text):
        text = text.strip()
        if not text:
            return self
        query = Q(name__icontains=text) | Q(code__icontains=text)
        if "-" in text:
            unit_code, _, code = text.partition("-")
            query |= Q(org_unit__code=unit_code.strip(), code__startswith=code.strip())
        return self.filter(query)

    def under_strategy(self, node):
        """Indicators attached to ``node`` or any node below it."""
        return self.filter(
            Q(strategy_node=node)
            | Q(strategy_node__parent=node)
            | Q(strategy_node__parent__parent=node)
            | Q(strategy_node__parent__parent__parent=node)
        )


class Indicator(models.Model):
    """A key performance indicator (ตัวชี้วัด) of one unit in one fiscal year."""

    class Type(models.TextChoices):
        ROUTINE = "routine", _("routine work indicator")
        STRATEGIC = "strategic", _("strategic plan indicator")
        MISSION = "mission", _("mission indicator")
        POLICY = "policy", _("policy indicator")

    class ResultLevel(models.TextChoices):
        OUTPUT = "output", _("output-level indicator (output)")
        OUTCOME = "outcome", _("outcome-level indicator (outcome)")

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher", _("higher is better")
        LOWER_IS_BETTER = "lower", _("lower is better")

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("fiscal year")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("unit")
    )
    code = models.CharField(_("indicator code"), max_length=10)
    sequence = models.PositiveSmallIntegerField(_("sequence"))
    agreement_ref = models.CharField(
        _("performance agreement item"), max_length=20, blank=True, help_text=_("e.g. 3.2")
    )
    name = models.TextField(_("indicator name"))
    annual_target = models.DecimalField(
        _("annual target"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    # Keyed by the unit's name: every page shows it beside a number without a join, and
    # files and the history carry the name itself (UnitOfMeasure.save renames along).
    unit_of_measure = models.ForeignKey(
        UnitOfMeasure,
        on_delete=models.PROTECT,
        to_field="name",
        related_name="indicators",
        verbose_name=_("unit of measure"),
    )
    indicator_type = models.CharField(_("indicator type"), max_length=20, choices=Type.choices)
    result_level = models.CharField(_("result level"), max_length=20, choices=ResultLevel.choices, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
    )
    is_cumulative = models.BooleanField(_("quarterly targets are cumulative"), default=True)
    definition = models.TextField(_("definition"), blank=True)
    calculation_method = models.TextField(_("calculation method or evaluation criteria"), blank=True)
    data_source = models.TextField(_("data collection method / data source"), blank=True)
    strategy_node = models.ForeignKey(
        StrategyNode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("supports city strategy"),
    )
    city_data_sets = models.ManyToManyField(
        CityDataSet, blank=True, related_name="indicators", verbose_name=_("city data sets")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["fiscal_year", "org_unit", "sequence"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "org_unit", "code"], name="unique_indicator_per_year_unit_code"
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "fiscal_year", "sequence"])]

    def __str__(self):
        return f"{self.full_code} {self.name}"

    def get_absolute_url(self):
        return reverse("indicator_detail", args=[self.pk])

    @property
    def full_code(self):
        return f"{self.org_unit.code}-{self.code}"

    def get_unit_of_measure_display(self) -> str:
        """The unit's name (ร้อยละ, ราย, ตัน), read without a query."""
        return self.unit_of_measure_id or ""

    def check_result(self, result: Decimal) -> None:
        """ValidationError unless ``result`` suits the unit of measure (one query unless
        the unit was fetched with the indicator)."""
        self.unit_of_measure.check_result(result)

    @property
    def agreement_dimension(self):
        """ "3.2" is item 2 of dimension 3 of the unit's performance agreement."""
        head = self.agreement_ref.split(".", 1)[0]
        return int(head) if head.isdigit() else None


class QuarterTarget(models.Model):
    """The planned target for a quarter (cumulative when the indicator is)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=QUARTER_VALIDATORS)
    target = models.DecimalField(
        _("target"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "quarter"]
        verbose_name = _("quarter target")
        verbose_name_plural = _("quarter targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "quarter"], name="unique_target_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="target_quarter_in_1_4"),
        ]

    def __str__(self):
        name = gettext("%(code)s Q%(quarter)s") % {"code": self.indicator.full_code, "quarter": self.quarter}
        return f"{name}: {thai.format_number(self.target, 2)}"


class SupportingProject(models.Model):
    """A project or activity that supports an indicator."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="projects", verbose_name=_("indicator")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.TextField(_("project or activity"))
    budget = models.DecimalField(_("budget (baht)"), max_digits=16, decimal_places=2, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "position", "pk"]
        verbose_name = _("supporting project")
        verbose_name_plural = _("supporting projects")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    """The portal's roles; each is a Django group of the same name."""

    UNIT_STAFF = "unit_staff", _("unit staff")
    AUDITOR = "auditor", _("auditor")
    EXECUTIVE = "executive", _("executive")
    ADMINISTRATOR = "administrator", _("administrator")


class UnitMembership(models.Model):
    """A user's membership of an org unit (a person may belong to several)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unit_memberships",
        verbose_name=_("user"),
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    is_head = models.BooleanField(
        _("head of the unit"),
        default=False,
        help_text=_("Receives a copy of the late-report reminders of the unit."),
    )

    # Who was given access to which unit, and who took it away, by whom.
    history = HistoricalRecords(
        verbose_name=_("unit membership change"), verbose_name_plural=_("unit membership changes")
    )

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "org_unit"], name="unique_unit_membership"),
        ]

    def __str__(self):
        return f"{self.user} – {self.org_unit}"


class AccountHistory(HistoricalRecords):
    """History of users and groups: roles are groups, so who made whom an auditor, staff
    or superuser, and what a group may do, are changes of access and keep their history."""

    def post_save(self, instance, created, using=None, **kwargs):
        # Every sign-in stamps last_login; that is not a change of access.
        if kwargs.get("update_fields") == frozenset({"last_login"}):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        # Changed from the other side (``group.user_set.add(user)``): the instance is the
        # group, and each user touched gets the history row (simple_history would give the
        # group a row of the user's history model).
        model = kwargs["model"]
        if action == "pre_clear":
            instance._history_cleared = list(model.objects.filter(**{attr: instance}))
            return
        if action == "post_clear":
            touched = instance.__dict__.pop("_history_cleared", [])
        elif action in ("post_add", "post_remove"):
            touched = model.objects.filter(pk__in=pk_set)
        else:
            return
        for obj in touched:
            super().m2m_changed(obj, action, attr, pk_set, False, **kwargs)


# Passwords stay out of the history: it keeps no secret, only who changed what.
register(
    User,
    app="indicators",
    records_class=AccountHistory,
    excluded_fields=["password", "last_login"],
    m2m_fields=["groups", "user_permissions"],
)
register(Group, app="indicators", records_class=AccountHistory, m2m_fields=["permissions"])


def working_calendar() -> WorkingCalendar:
    """The Thai working calendar with the administrators' ``Holiday`` rows (each year's
    read once, when first asked about)."""
    return WorkingCalendar(load_year=lambda year: Holiday.objects.filter(date__year=year).rows())


class HolidayQuerySet(models.QuerySet):
    def rows(self):
        """(date, name, is_working_day) of each row, for ``WorkingCalendar``."""
        return [
            (day, name, kind == Holiday.Kind.WORKING_DAY)
            for day, name, kind in self.values_list("date", "name", "kind")
        ]


class Holiday(models.Model):
    """A day the administrators add to the working calendar (``indicators.calendar``):
    a special holiday the cabinet declares, a closure of the city's offices, or a
    working day where the ``holidays`` package has a holiday."""

    class Kind(models.TextChoices):
        SPECIAL = "special", _("special holiday declared by the cabinet")
        CLOSURE = "closure", _("closure of the city's offices")
        WORKING_DAY = "working_day", _("working day (not a holiday)")

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SPECIAL)

    history = HistoricalRecords()
    objects = HolidayQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return f"{thai.format_date(self.date)} {self.name}"

    def save(self, *args, **kwargs):
        """Saving moves the effective deadlines the day touches (``refresh_due_dates``),
        the old date's too when the date changed."""
        old_date = None
        if self.pk is not None:
            old_date = Holiday.objects.filter(pk=self.pk).values_list("date", flat=True).first()
        super().save(*args, **kwargs)
        self.refresh_due_dates({self.date, old_date} - {None})

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.refresh_due_dates({self.date})
        return result

    @staticmethod
    def refresh_due_dates(days) -> int:
        """Recompute the effective deadline of every quarter whose deadline a change of
        ``days`` may move: deadlines on or up to a few weeks before each day. Returns how
        many moved."""
        calendar = working_calendar()
        query = Q()
        for day in days:
            query |= Q(due_date__range=(day - datetime.timedelta(days=LONGEST_BREAK_DAYS), day))
        if not query:
            return 0
        periods = FiscalQuarter.objects.filter(query).select_related("fiscal_year")
        return sum(period.refresh_effective_due_date(calendar) for period in periods)


class UserSettings(models.Model):
    """What a user chose for themselves: the language of the mails the portal sends
    (set when they switch language while signed in, and on their preferences page)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="portal_settings",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("user settings")
        verbose_name_plural = _("user settings")

    def __str__(self):
        return str(self.user)

    @staticmethod
    def language_of(user) -> str:
        """The user's language for mails: their choice, else the portal's (Thai)."""
        chosen = UserSettings.objects.filter(user=user).values_list("language", flat=True).first()
        return chosen or settings.LANGUAGE_CODE

    @staticmethod
    def remember_language(user, language: str) -> None:
        if language in dict(settings.LANGUAGES):
            UserSettings.objects.update_or_create(user=user, defaults={"language": language})
