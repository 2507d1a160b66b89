"""The service editor, one form per section of the check-your-answers page.

Every section carries the service version it was loaded at, so a stale submit is caught
rather than silently overwriting someone else's change.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.database import choices
from marketplace.form_fields import WholeNumberField
from marketplace.vocabulary import (
    LABELS,
    LANGUAGES,
    Accessibility,
    CapacityStatus,
    CJSStage,
    DeliveryMode,
    Gender,
    OffenceCategory,
    ReferralRoute,
    RiskLevel,
)
from onboarding.forms.fields import (
    WAITING_DAYS_IN_RANGE,
    CheckboxesField,
    options,
    places_in_range,
)


class SectionForm(FlaskForm):
    """A section of a service; ``changes()`` is what it sets on the service."""

    version = HiddenField()
    submit = SubmitField("Save and continue", widget=GovSubmitInput())
    FIELDS: tuple[str, ...] = ()

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in self.FIELDS}

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class DetailsForm(SectionForm):
    FIELDS = (
        "name",
        "summary",
        "description",
        "opening_times",
        "evenings_only",
        "contact_email",
        "contact_phone",
    )
    name = StringField(
        "Service name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the name of the service"),
            Length(max=200, message="Service name must be 200 characters or fewer"),
        ],
    )
    summary = StringField(
        "Summary",
        widget=GovTextInput(),
        description="One sentence that referrers see in search results",
        validators=[
            InputRequired(message="Enter a short summary of the service"),
            Length(max=300, message="Summary must be 300 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "Description",
        widget=GovCharacterCount(),
        description="What happens, who delivers it and what people can expect",
        validators=[
            Optional(),
            Length(max=5000, message="Description must be 5000 characters or fewer"),
        ],
    )
    opening_times = TextAreaField(
        "Opening times (optional)",
        widget=GovTextArea(),
        description="For example, Monday to Friday 9am to 5pm",
        validators=[Optional(), Length(max=1000)],
    )
    evenings_only = BooleanField("Only open in the evenings", widget=GovCheckboxInput())
    contact_email = EmailField(
        "Email address for referral questions (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    contact_phone = StringField(
        "Phone number for referral questions (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=40, message="Phone number must be 40 characters or fewer"),
        ],
    )


class WhoForm(SectionForm):
    FIELDS = (
        "need_codes",
        "min_age",
        "max_age",
        "genders",
        "cjs_stages",
        "risk_levels",
        "offence_exclusions",
    )
    need_codes = CheckboxesField(
        "Needs the service meets",
        choices=[],
        validators=[InputRequired(message="Select the needs the service meets")],
    )
    min_age = WholeNumberField(
        "Minimum age (optional)",
        widget=GovTextInput(),
        invalid_message="Minimum age must be a whole number, like 18",
        validators=[
            Optional(),
            NumberRange(min=0, max=120, message="Minimum age must be between 0 and 120"),
        ],
    )
    max_age = WholeNumberField(
        "Maximum age (optional)",
        widget=GovTextInput(),
        invalid_message="Maximum age must be a whole number, like 65",
        validators=[
            Optional(),
            NumberRange(min=0, max=120, message="Maximum age must be between 0 and 120"),
        ],
    )
    genders = CheckboxesField(
        "Genders the service accepts",
        description="Leave all unticked if the service is for everyone",
        choices=options(choices(Gender, LABELS)),
    )
    cjs_stages = CheckboxesField(
        "Stages of the criminal justice system the service works with",
        description="Leave all unticked if it works with people at any stage",
        choices=options(choices(CJSStage, LABELS)),
    )
    risk_levels = CheckboxesField(
        "Risk of serious harm levels the service accepts",
        description="Leave all unticked if it accepts any level",
        choices=options(choices(RiskLevel, LABELS)),
    )
    offence_exclusions = CheckboxesField(
        "Offences the service cannot accept",
        description="Leave all unticked if there are none",
        choices=options(choices(OffenceCategory, LABELS)),
    )

    def validate_max_age(self, field: WholeNumberField) -> None:
        if (
            field.data is not None
            and self.min_age.data is not None
            and self.min_age.data > field.data
        ):
            raise ValidationError("Maximum age must be the same as or more than minimum age")


class DeliveryForm(SectionForm):
    FIELDS = (
        "delivery_modes",
        "referral_routes",
        "location_ids",
        "area_ids",
        "languages",
        "interpreter_available",
        "accessibility",
    )
    delivery_modes = CheckboxesField(
        "How the service is delivered",
        choices=options(choices(DeliveryMode, LABELS)),
        validators=[InputRequired(message="Select how the service is delivered")],
    )
    referral_routes = CheckboxesField(
        "How people can be referred",
        choices=options(choices(ReferralRoute, LABELS)),
        validators=[InputRequired(message="Select how people can be referred")],
    )
    location_ids = CheckboxesField(
        "Where the service is delivered",
        description="Add locations from your organisation’s list of locations",
        coerce=int,
        choices=[],
    )
    area_ids = CheckboxesField(
        "Areas the service delivers to",
        description="For remote and outreach services, the areas people can live in",
        coerce=int,
        choices=[],
    )
    languages = CheckboxesField(
        "Languages the service is delivered in",
        choices=options(LANGUAGES.items()),
    )
    interpreter_available = BooleanField(
        "An interpreter can be arranged for other languages", widget=GovCheckboxInput()
    )
    accessibility = CheckboxesField(
        "Accessibility",
        choices=options(choices(Accessibility, LABELS)),
    )


LIMITED = "limited"
NO_LIMIT = "no_limit"


class CapacityForm(SectionForm):
    FIELDS = ("capacity", "capacity_status", "waiting_days")
    limit = RadioField(
        "Does the service have a set number of places?",
        widget=GovRadioInput(),
        choices=options([(LIMITED, "Yes, a set number of places"), (NO_LIMIT, "No set limit")]),
        validators=[InputRequired(message="Select whether the service has a set number of places")],
    )
    capacity = WholeNumberField(
        "Total number of places",
        widget=GovTextInput(),
        invalid_message="Number of places must be a whole number, like 12",
        validators=[
            Optional(),
            places_in_range("Number of places"),
        ],
    )
    capacity_status = RadioField(
        "Can the service take people now?",
        widget=GovRadioInput(),
        choices=options(choices(CapacityStatus, LABELS)),
        validators=[InputRequired(message="Select whether the service can take people now")],
    )
    waiting_days = WholeNumberField(
        "Current waiting time in days (optional)",
        widget=GovTextInput(),
        description="From referral to first appointment, on average",
        invalid_message="Waiting time must be a whole number of days, like 14",
        validators=[
            Optional(),
            WAITING_DAYS_IN_RANGE,
        ],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        # Checked here, not as a field validator: Optional() ends the field's chain when
        # the box is empty, and empty is exactly the case to catch.
        valid = super().validate(extra_validators)
        if self.limit.data == LIMITED and self.capacity.data is None and not self.capacity.errors:
            self.capacity.errors = [*self.capacity.errors, "Enter the number of places"]
            return False
        return valid

    def changes(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity.data if self.limit.data == LIMITED else None,
            "capacity_status": CapacityStatus(self.capacity_status.data),
            "waiting_days": self.waiting_days.data,
        }


SECTIONS: dict[str, tuple[type[SectionForm], str]] = {
    "details": (DetailsForm, "Service details"),
    "who": (WhoForm, "Who the service is for"),
    "delivery": (DeliveryForm, "How and where it is delivered"),
    "capacity": (CapacityForm, "Places and waiting time"),
}


class StatusForm(FlaskForm):
    """Publish or pause, from the check-your-answers page at the version it showed."""

    version = HiddenField()
    submit = SubmitField("Publish service", widget=GovSubmitInput())

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None
