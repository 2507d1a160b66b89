"""Forms for the referral page, the appointment pages and the person's link.

Messages follow the GOV.UK Design System ("Select a reason", "Enter a time, like 14:30").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.form_fields import DateInputField
from marketplace.referrals.lifecycle import (
    OUTCOME_LABELS,
    REASON_LABELS,
    CancelReason,
    DeclineReason,
    WithdrawReason,
)
from marketplace.referrals.models import AppointmentMode, ComplianceDecision
from marketplace.referrals.ratings import RATING_WORDS
from marketplace.referrals.services import ABSENCE_LABELS, DECISION_LABELS, AbsenceReason
from marketplace.referrals.sla import LONDON


def options(pairs: Sequence[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[arg-type]


def _reason_choices(codes: type[enum.StrEnum]) -> list[SelectChoice]:
    return options([(code.value, REASON_LABELS[code]) for code in codes])


class ActionForm(FlaskForm):
    """A button that needs nothing but CSRF protection (accept, confirm, check in)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class _ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Give more detail",
        widget=GovCharacterCount(),
        description="Required if you chose another reason. The other side will see this.",
        validators=[
            Optional(),
            Length(max=2000, message="Detail must be 2000 characters or fewer"),
        ],
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if self.reason_code.data == "other" and not (field.data or "").strip():  # type: ignore[attr-defined]
            raise ValidationError("Explain the reason")


class DeclineForm(_ReasonForm):
    reason_code = RadioField(
        "Why are you declining this referral?",
        widget=GovRadioInput(),
        choices=_reason_choices(DeclineReason),
        validators=[InputRequired(message="Select why you are declining this referral")],
    )
    submit = SubmitField("Decline referral", widget=GovSubmitInput())


class WithdrawForm(_ReasonForm):
    reason_code = RadioField(
        "Why are you withdrawing this referral?",
        widget=GovRadioInput(),
        choices=_reason_choices(WithdrawReason),
        validators=[InputRequired(message="Select why you are withdrawing this referral")],
    )
    submit = SubmitField("Withdraw referral", widget=GovSubmitInput())


class CancelForm(_ReasonForm):
    reason_code = RadioField(
        "Why are you cancelling this referral?",
        widget=GovRadioInput(),
        choices=_reason_choices(CancelReason),
        validators=[InputRequired(message="Select why you are cancelling this referral")],
    )
    submit = SubmitField("Cancel referral", widget=GovSubmitInput())


class CompleteForm(FlaskForm):
    outcome = RadioField(
        "Were the person's needs met?",
        widget=GovRadioInput(),
        choices=options([(outcome.value, text) for outcome, text in OUTCOME_LABELS.items()]),
        validators=[InputRequired(message="Select whether the person's needs were met")],
    )
    notes = TextAreaField(
        "End-of-service summary",
        widget=GovCharacterCount(),
        description="What the person achieved and anything the referrer should know.",
        validators=[
            Optional(),
            Length(max=4000, message="Summary must be 4000 characters or fewer"),
        ],
    )
    submit = SubmitField("Complete referral", widget=GovSubmitInput())


TIME_PATTERN = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")


class AppointmentForm(FlaskForm):
    day = DateInputField(
        "Date",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="For example, 27 3 2026",
        validators=[InputRequired(message="Enter the date of the appointment")],
    )
    start_time = StringField(
        "Start time",
        widget=GovTextInput(),
        description="Use the 24-hour clock, like 14:30",
        validators=[InputRequired(message="Enter a start time, like 14:30")],
    )
    duration_minutes = IntegerField(
        "Length in minutes",
        widget=GovTextInput(),
        default=60,
        validators=[
            InputRequired(message="Enter the length of the appointment in minutes, like 60"),
            NumberRange(min=5, max=480, message="Length must be between 5 and 480 minutes"),
        ],
    )
    mode = RadioField(
        "How will the appointment happen?",
        widget=GovRadioInput(),
        choices=options(
            [
                (AppointmentMode.IN_PERSON.value, "In person"),
                (AppointmentMode.REMOTE.value, "Online (video)"),
                (AppointmentMode.PHONE.value, "By phone"),
            ]
        ),
        validators=[InputRequired(message="Select how the appointment will happen")],
    )
    location_id = SelectField(
        "Where (for an appointment in person)",
        widget=GovSelect(),
        coerce=int,
        validators=[Optional()],
    )
    remote_details = StringField(
        "How to join (for online or phone)",
        widget=GovTextInput(),
        description="For example, a video link or 'We will phone your mobile'",
        validators=[Optional(), Length(max=300, message="Details must be 300 characters or fewer")],
    )
    submit = SubmitField("Book appointment", widget=GovSubmitInput())

    def validate_start_time(self, field: StringField) -> None:
        if not TIME_PATTERN.match(field.data or ""):
            raise ValidationError("Enter a start time in the 24-hour clock, like 14:30")

    def validate_location_id(self, field: SelectField) -> None:
        if self.mode.data == AppointmentMode.IN_PERSON and not field.data:
            raise ValidationError("Select where the appointment is")

    def starts_at(self) -> datetime:
        """The chosen date and time, in London, as an aware datetime."""
        match = TIME_PATTERN.match(self.start_time.data or "")
        assert match and self.day.data
        return datetime.combine(
            self.day.data, time(int(match.group(1)), int(match.group(2))), tzinfo=LONDON
        )


class CancelAppointmentForm(FlaskForm):
    reason = TextAreaField(
        "Why is the appointment cancelled? (optional)",
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=1000, message="Reason must be 1000 characters or fewer"),
        ],
    )
    submit = SubmitField("Cancel appointment", widget=GovSubmitInput())


ATTENDANCE_STATUS_CHOICES: list[tuple[object, str]] = [
    ("attended", "Attended"),
    ("late", "Attended, but late"),
    ("did_not_attend", "Did not attend"),
]


class AttendanceForm(FlaskForm):
    status = RadioField(
        "Did the person attend?",
        widget=GovRadioInput(),
        choices=options(ATTENDANCE_STATUS_CHOICES),
        validators=[InputRequired(message="Select whether the person attended")],
    )
    absence_reason = RadioField(
        "If they did not attend, why not?",
        widget=GovRadioInput(),
        choices=options([(reason.value, ABSENCE_LABELS[reason]) for reason in AbsenceReason]),
        validators=[Optional()],
    )
    notes = TextAreaField(
        "Engagement notes (optional)",
        widget=GovCharacterCount(),
        validators=[Optional(), Length(max=4000, message="Notes must be 4000 characters or fewer")],
    )
    submit = SubmitField("Record attendance", widget=GovSubmitInput())

    def validate_absence_reason(self, field: RadioField) -> None:
        if self.status.data == "did_not_attend" and not field.data:
            raise ValidationError("Select why the person did not attend")


class CorrectAttendanceForm(FlaskForm):
    """Correcting an attendance already recorded: what it should be, and why."""

    status = RadioField(
        "What should the attendance be?",
        widget=GovRadioInput(),
        choices=options(ATTENDANCE_STATUS_CHOICES),
        validators=[InputRequired(message="Select whether the person attended")],
    )
    absence_reason = RadioField(
        "Why did they not attend?",
        widget=GovRadioInput(),
        choices=options([(reason.value, ABSENCE_LABELS[reason]) for reason in AbsenceReason]),
        validators=[Optional()],
    )
    reason = TextAreaField(
        "Why are you correcting this?",
        widget=GovCharacterCount(),
        description="The referrer will see this, and it stays on the referral's timeline.",
        validators=[
            InputRequired(message="Enter why you are correcting the attendance"),
            Length(max=1000, message="Reason must be 1000 characters or fewer"),
        ],
    )
    submit = SubmitField("Correct attendance", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        # A field-level check on absence_reason would never run: Optional() stops its
        # chain when it is empty, which is exactly when it is needed.
        valid = super().validate(extra_validators)
        if self.status.data == "did_not_attend" and not self.absence_reason.data:
            self.absence_reason.errors = [
                *self.absence_reason.errors,
                "Select why the person did not attend",
            ]
            return False
        return valid

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter why you are correcting the attendance")


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Send a message",
        widget=GovCharacterCount(),
        description="The referrer and the provider both see the thread.",
        validators=[
            InputRequired(message="Enter a message"),
            Length(max=5000, message="Message must be 5000 characters or fewer"),
        ],
    )
    submit = SubmitField("Send message", widget=GovSubmitInput())


RATING_CHOICES: list[tuple[object, str]] = [
    (str(rating), f"{rating} – {words}") for rating, words in RATING_WORDS.items()
]


class FeedbackForm(FlaskForm):
    rating = RadioField(
        "How would you rate this service?",
        widget=GovRadioInput(),
        choices=options(RATING_CHOICES),
        validators=[InputRequired(message="Select a rating from 1 to 5")],
    )
    comments = TextAreaField(
        "Comments (optional)",
        widget=GovCharacterCount(),
        validators=[
            Optional(),
            Length(max=2000, message="Comments must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Send feedback", widget=GovSubmitInput())


class SharedFeedbackForm(FeedbackForm):
    """Feedback from those whose rating rates the service (referrers and the person
    referred), who may share their comment on the service's page. Not shared unless
    they tick the box."""

    shared = BooleanField(
        "Share this comment on the service's page",
        widget=GovCheckboxInput(),
        description=(
            "Referrers and providers who are signed in will see it, with the month and your "
            "rating but not your name. Do not include names or any details that could "
            "identify you or anyone else."
        ),
    )

    def validate_comments(self, field: TextAreaField) -> None:
        if self.shared.data and not (field.data or "").strip():
            raise ValidationError("Enter a comment to share it on the service's page")


class ComplianceForm(FlaskForm):
    decision = RadioField(
        "What have you decided?",
        widget=GovRadioInput(),
        choices=options([(d.value, DECISION_LABELS[d]) for d in ComplianceDecision]),
        validators=[InputRequired(message="Select what you have decided")],
    )
    notes = TextAreaField(
        "Notes (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000, message="Notes must be 2000 characters or fewer")],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        "Your public reply",
        widget=GovCharacterCount(),
        description="You can reply once, and you cannot change it afterwards. Your reply "
        "is public: it appears beneath the comment wherever the comment is shown, including "
        "the service's page when the comment is shared there.",
        validators=[
            InputRequired(message="Enter your reply"),
            Length(max=2000, message="Reply must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Publish reply", widget=GovSubmitInput())


class HideFeedbackForm(FlaskForm):
    reason = TextAreaField(
        "Why are you hiding this comment?",
        widget=GovCharacterCount(),
        description="For example, 'Names a member of staff'. Kept with the comment and in the "
        "audit log.",
        validators=[
            InputRequired(message="Enter why you are hiding this comment"),
            Length(max=1000, message="Reason must be 1000 characters or fewer"),
        ],
    )
    submit = SubmitField("Hide comment", widget=GovSubmitInput())

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter why you are hiding this comment")


class RearrangeForm(FlaskForm):
    note = TextAreaField(
        "When could you come instead?",
        widget=GovTextArea(),
        description="For example, 'Any weekday morning next week'",
        validators=[
            InputRequired(message="Tell us when you could come instead"),
            Length(max=1000, message="Your message must be 1000 characters or fewer"),
        ],
    )
    submit = SubmitField("Ask to rearrange", widget=GovSubmitInput())
