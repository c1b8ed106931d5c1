import re
from decimal import Decimal

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator
from reports.models import QuarterReport, Review

HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>")

# Detected type -> file name extensions it may carry.
EVIDENCE_TYPES = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/msword": {"doc"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def check_evidence(upload):
    """Refuse files over the size limit or whose content is not an allowed type
    matching their name (an HTML page renamed .pdf is not a PDF)."""
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is %(size)s; files may be at most %(limit)s."),
            params={
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
            },
            code="too_large",
        )
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if kind is None or kind.mime not in EVIDENCE_TYPES or extension not in EVIDENCE_TYPES[kind.mime]:
        raise ValidationError(
            _(
                "%(name)s is not a PDF, image, Word or Excel file (its content was checked, "
                "not only its name)."
            ),
            params={"name": upload.name},
            code="bad_type",
        )
    upload.detected_type = kind.mime
    return upload


class QuarterReportForm(forms.Form):
    """A unit's quarter report. ``version`` is the report's version when the form was loaded."""

    result = forms.DecimalField(
        label=_("Cumulative result"), required=False, max_digits=16, decimal_places=2, min_value=0
    )
    confirm_over_100 = forms.BooleanField(label=_("Yes, the result is above 100 percent"), required=False)
    narrative = forms.CharField(
        label=_("Narrative report"),
        required=False,
        max_length=QuarterReport.NARRATIVE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    evidence = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("PDF, images, Word or Excel; at most 20 MB each. You may choose several."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, indicator: Indicator, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.submitting = submitting
        self.fields["result"].label = _("Cumulative result (%(unit)s)") % {
            "unit": indicator.get_unit_of_measure_display()
        }
        self.fields["result"].error_messages["invalid"] = _("Enter a number, for example 75 or 75.50.")
        self.fields["result"].error_messages["min_value"] = _("The result cannot be negative.")
        self.fields["narrative"].error_messages["max_length"] = _(
            "The narrative may be at most %(limit_value)d characters (it has %(show_value)d)."
        )
        self.fields["narrative"].help_text = _("Plain text, up to %(max)s characters.") % {
            "max": f"{QuarterReport.NARRATIVE_MAX_LENGTH:,}"
        }

    def clean_result(self):
        result = self.cleaned_data["result"]
        if result is not None:
            self.indicator.check_result(result)
        return result

    def clean_narrative(self):
        narrative = self.cleaned_data["narrative"].replace("\r\n", "\n")
        if HTML_TAG.search(narrative):
            raise ValidationError(
                _("The narrative is plain text: remove the HTML tags (such as <script>)."),
                code="html",
            )
        return narrative

    def clean_evidence(self):
        files = self.cleaned_data["evidence"]
        errors = []
        for upload in files:
            try:
                check_evidence(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        result = data.get("result")
        percent = self.indicator.unit_of_measure.is_percentage
        if result is not None and percent and result > Decimal(100) and not data.get("confirm_over_100"):
            self.needs_over_100_confirmation = True
            self.add_error(
                "result",
                ValidationError(
                    _("The result is above 100 percent. Tick the box below to confirm it is right."),
                    code="over_100",
                ),
            )
        if self.submitting:
            if "result" in data and result is None:
                self.add_error("result", _("Enter the result before submitting."))
            if "narrative" in data and not data["narrative"].strip():
                self.add_error("narrative", _("Write the narrative report before submitting."))
        return data

    def report_fields(self) -> dict:
        """What a valid form stores: result, narrative, the version the user started from."""
        return {name: self.cleaned_data[name] for name in ("result", "narrative", "version")}

    def draft(self, stored: QuarterReport | None) -> dict:
        """What an autosave stores: whatever the user has typed so far, even what the form
        would refuse (HTML tags, a missing result), but not text that cannot be stored
        (too long, NUL characters): ValidationError, with the message. A result that is
        not (yet) a valid number leaves the stored result as it was."""
        self.is_valid()
        for error in self.errors.as_data().get("narrative", []):
            if error.code in ("max_length", "null_characters_not_allowed"):
                raise ValidationError(error.messages[0])
        if "version" not in self.cleaned_data:
            raise ValidationError(_("The page is out of date: reload it."))
        result = self.cleaned_data.get("result") if "result" not in self.errors else None
        if result is None and "result" in self.errors and stored is not None:
            result = stored.result
        narrative = self.data.get("narrative", "").replace("\r\n", "\n")
        return {"result": result, "narrative": narrative, "version": self.cleaned_data["version"]}


class ReviewForm(forms.Form):
    criterion_1 = forms.DecimalField(required=False, min_value=0, max_value=100, decimal_places=2)
    criterion_2 = forms.DecimalField(required=False, min_value=0, max_value=100, decimal_places=2)
    score = forms.DecimalField(
        label=_("Verified score (0-100)"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    is_verification = forms.BooleanField(
        label=_("This quarter is the indicator's verification (shown at the top of the sheet)"),
        required=False,
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, fiscal_year, accepting: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.accepting = accepting
        self.fields["criterion_1"].label = _("Criterion %(label)s (0-100)") % {
            "label": fiscal_year.criterion_1_label
        }
        self.fields["criterion_2"].label = _("Criterion %(label)s (0-100)") % {
            "label": fiscal_year.criterion_2_label
        }

    def clean(self):
        data = super().clean()
        if self.accepting and "score" in data and data["score"] is None:
            self.add_error("score", _("Enter the verified score to accept the report."))
        if not self.accepting and not data.get("comment", "").strip():
            self.add_error("comment", _("Say what to revise: a comment is required to return a report."))
        return data

    def review(self) -> Review:
        data = self.cleaned_data
        return Review(
            score=data["score"],
            criterion_1=data["criterion_1"],
            criterion_2=data["criterion_2"],
            is_verification=data["is_verification"],
            comment=data["comment"],
        )


def review_initial(report: QuarterReport | None, score) -> dict:
    """The review form as last scored (the report's version to start from)."""
    initial = {"version": report.version if report else 0}
    if score is not None:
        initial |= {
            "score": score.score,
            "criterion_1": score.criterion_1,
            "criterion_2": score.criterion_2,
            "is_verification": score.is_verification,
            "comment": score.comment,
        }
    return initial


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Give a reason for reopening the quarter.")},
    )


def report_initial(report: QuarterReport | None) -> dict:
    if report is None:
        return {"version": 0, "narrative": "", "result": None}
    return {"version": report.version, "narrative": report.narrative, "result": report.result}
