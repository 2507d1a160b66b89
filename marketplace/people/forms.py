"""The person record and needs assessment forms, with GOV.UK-style messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
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
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from marketplace.database import choices
from marketplace.form_fields import WholeNumberField, date_parts
from marketplace.people import postcodes
from marketplace.people.answers import KM_PER_MILE, AssessmentAnswers, NeedAnswer, PersonDetails
from marketplace.taxonomy.models import Need
from marketplace.vocabulary import (
    LABELS,
    LANGUAGES,
    Accessibility,
    CJSStage,
    Gender,
    OffenceCategory,
    RiskLevel,
)

NOT_KNOWN = "not_known"
NO_OFFENCES = "none"

CONTACT_PREFERENCES = [
    "Contact me (the referrer) first",
    "Phone the person",
    "Email the person",
    "Write to the person",
]

SEVERITIES = [("0", "No need"), ("1", "Low"), ("2", "Medium"), ("3", "High")]

CONSTRAINTS = [
    ("remote_only", "Can only take part remotely (phone or video)"),
    ("no_remote", "Cannot take part remotely (no phone or internet)"),
    ("women_only", "Needs a women-only service"),
    ("no_evenings", "Cannot attend in the evenings"),
]


class DateOfBirthField(Field):
    """Day, month and year boxes (GOV.UK date input) that may be left empty.

    Errors follow the Design System: a missing part, an impossible date, a future date.
    """

    widget = GovDateInput()

    def _value(self) -> str:
        return ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            valuelist = date_parts(valuelist)
        self.raw_data = valuelist
        parts = [value.strip() for value in valuelist]
        if not any(parts):
            self.data = None
            return
        if len(parts) != 3 or not all(parts):
            self.data = None
            raise ValueError("Date of birth must include a day, month and year")
        try:
            day, month, year = (int(part) for part in parts)
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError("Date of birth must be a real date") from None
        if self.data >= date.today():
            raise ValueError("Date of birth must be in the past")


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Choices for a radio, checkbox or select field from (value, label) pairs."""
    return [SelectChoice(value, text) for value, text in pairs]


def _with_not_known(enum_class: Any) -> list[SelectChoice]:
    return options([*choices(enum_class, LABELS), (NOT_KNOWN, "Not known")])


class PersonForm(FlaskForm):
    """The minimal person record: a reference, never a name."""

    reference = StringField(
        "Case reference or initials",
        widget=GovTextInput(),
        description="Your case management reference or the person's initials. "
        "Do not enter their name.",
        validators=[
            InputRequired(message="Enter a case reference or initials"),
            Length(max=40, message="Case reference must be 40 characters or fewer"),
        ],
    )
    date_of_birth = DateOfBirthField(
        "Date of birth (optional)", description="For example, 27 3 1990"
    )
    age = WholeNumberField(
        "Age (optional)",
        widget=GovTextInput(),
        description="If you do not know their date of birth",
        invalid_message="Age must be a whole number, like 34",
    )
    gender = RadioField(
        "Gender",
        widget=GovRadioInput(),
        choices=options(
            [
                (Gender.FEMALE.value, "Female"),
                (Gender.MALE.value, "Male"),
                (Gender.NON_BINARY.value, "Non-binary"),
                (Gender.OTHER.value, "Another gender"),
                (NOT_KNOWN, "Not known"),
            ]
        ),
        validators=[InputRequired(message="Select the person's gender, or 'Not known'")],
    )
    postcode = StringField(
        "Postcode (optional)",
        widget=GovTextInput(),
        description="Their home postcode, or just the first part, like SW1A. "
        "Used to find services near them.",
    )
    language = SelectField(
        "Preferred language",
        widget=GovSelect(),
        choices=options(LANGUAGES.items()),
        default="en",
    )
    accessibility_needs = SelectMultipleField(
        "Accessibility needs (optional)",
        widget=GovCheckboxesInput(),
        description="Select all that apply",
        choices=options(choices(Accessibility, LABELS)),
    )
    cjs_stage = RadioField(
        "Where is the person in the criminal justice system?",
        widget=GovRadioInput(),
        choices=options(choices(CJSStage, LABELS)),
        validators=[InputRequired(message="Select where the person is in the justice system")],
    )
    risk_level = RadioField(
        "Risk of serious harm",
        widget=GovRadioInput(),
        choices=_with_not_known(RiskLevel),
        validators=[InputRequired(message="Select the person's risk of serious harm")],
    )
    offences = SelectMultipleField(
        "Offences",
        widget=GovCheckboxesInput(),
        description="Select every category that applies. Some services cannot accept "
        "people with offences of a certain kind.",
        choices=options(
            [
                *choices(OffenceCategory, LABELS),
                (NO_OFFENCES, "None of these"),
                (NOT_KNOWN, "Not known"),
            ]
        ),
    )
    contact_preference = RadioField(
        "How should the service contact the person?",
        widget=GovRadioInput(),
        choices=options((text, text) for text in CONTACT_PREFERENCES),
        validators=[InputRequired(message="Select how the service should contact the person")],
    )
    email = EmailField(
        "Person's email address (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )
    mobile = StringField(
        "Person's mobile number (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=20, message="Mobile number must be 20 characters or fewer"),
        ],
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place: postcodes.PostcodePlace | None = None

    def validate_age(self, field: WholeNumberField) -> None:
        if field.data is not None and not 10 <= field.data <= 120:
            raise ValidationError("Age must be between 10 and 120")

    def validate_date_of_birth(self, field: DateOfBirthField) -> None:
        if field.data is None:
            return
        years = _age_on(field.data, date.today())
        if not 10 <= years <= 120:
            raise ValidationError("Date of birth must be for someone aged 10 to 120")

    def validate_postcode(self, field: StringField) -> None:
        if not (field.data or "").strip():
            return
        if postcodes.normalise(field.data or "") is None:
            raise ValidationError("Enter a real postcode, like SW1A 1AA")
        self.place = postcodes.locate(field.data or "")
        if self.place is None:
            raise ValidationError(
                "We cannot find that postcode. Check it, or enter just the first part, like SW1A"
            )

    def validate_offences(self, field: SelectMultipleField) -> None:
        selected = set(field.data or [])
        if not selected:
            raise ValidationError("Select the person's offences, or 'None of these' or 'Not known'")
        exclusive = selected & {NO_OFFENCES, NOT_KNOWN}
        if exclusive and len(selected) > 1:
            raise ValidationError(
                "Select offence categories, or 'None of these', or 'Not known', not a mix"
            )

    def details(self) -> PersonDetails:
        """The validated answers as plain values for ``services``."""
        offences = set(self.offences.data or [])
        return PersonDetails(
            reference=(self.reference.data or "").strip(),
            date_of_birth=self.date_of_birth.data,
            age=self.age.data,
            gender=None if self.gender.data == NOT_KNOWN else Gender(self.gender.data),
            place=self.place,
            language=self.language.data or "en",
            accessibility_needs=list(self.accessibility_needs.data or []),
            cjs_stage=CJSStage(self.cjs_stage.data),
            risk_level=None
            if self.risk_level.data == NOT_KNOWN
            else RiskLevel(self.risk_level.data),
            offences=sorted(offences - {NO_OFFENCES, NOT_KNOWN}),
            offences_known=NOT_KNOWN not in offences,
            contact_preference=self.contact_preference.data or "",
            email=(self.email.data or "").strip() or None,
            mobile=(self.mobile.data or "").strip() or None,
        )

    def fill_from(self, person: Any) -> None:
        """Show a saved person's answers (on GET)."""
        self.reference.data = person.reference
        self.date_of_birth.data = person.date_of_birth
        self.age.data = None if person.date_of_birth else person.age
        self.gender.data = person.gender.value if person.gender else NOT_KNOWN
        self.postcode.data = person.postcode or ""
        self.language.data = person.language
        self.accessibility_needs.data = list(person.accessibility_needs)
        self.cjs_stage.data = person.cjs_stage.value if person.cjs_stage else None
        self.risk_level.data = person.risk_level.value if person.risk_level else NOT_KNOWN
        if not person.offences_known:
            self.offences.data = [NOT_KNOWN]
        else:
            self.offences.data = list(person.offences) or [NO_OFFENCES]
        self.contact_preference.data = person.contact_preference or None
        self.email.data = person.email
        self.mobile.data = person.mobile


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class AssessmentFormBase(FlaskForm):
    """The fixed part of the needs assessment; one group of fields per need category is
    added by :func:`assessment_form_class` from the taxonomy (which is data, not code)."""

    constraints = SelectMultipleField(
        "Does anything limit which services the person can use? (optional)",
        widget=GovCheckboxesInput(),
        description="Select all that apply",
        choices=options(CONSTRAINTS),
    )
    max_travel_miles = StringField(
        "How far can the person travel, in miles? (optional)",
        widget=GovTextInput(),
        description="Leave empty to use about 15 miles",
    )
    notes = TextAreaField(
        "Summary for services (optional)",
        widget=GovTextArea(),
        description="What a service needs to know. This is sent with each referral as its "
        "reason, and you can change it before sending.",
        validators=[Length(max=4000, message="Summary must be 4,000 characters or fewer")],
    )
    consent = BooleanField(
        "The person has agreed to be referred, and to this information being shared with "
        "the services I refer them to",
        widget=GovCheckboxInput(),
    )
    edit_token = HiddenField()
    save_draft = SubmitField("Save as draft", widget=GovSubmitInput())
    complete = SubmitField("Save and see matches", widget=GovSubmitInput())

    categories: Sequence[Need] = ()

    def validate_constraints(self, field: SelectMultipleField) -> None:
        if {"remote_only", "no_remote"} <= set(field.data or []):
            raise ValidationError(
                "Select 'Can only take part remotely' or 'Cannot take part remotely', not both"
            )

    def validate_max_travel_miles(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not text:
            return
        try:
            miles = Decimal(text)
        except InvalidOperation:
            raise ValidationError("Travel distance must be a number, like 10") from None
        if not Decimal("0.5") <= miles <= Decimal("300"):
            raise ValidationError("Travel distance must be between 0.5 and 300 miles")

    def severity_field(self, category: Need) -> RadioField:
        return self[f"severity_{category.code}"]

    def specific_field(self, category: Need) -> SelectMultipleField:
        return self[f"specific_{category.code}"]

    def notes_field(self, category: Need) -> TextAreaField:
        return self[f"notes_{category.code}"]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for category in self.categories:
            severity = self.severity_field(category)
            if severity.errors:
                continue
            if self.specific_field(category).data and severity.data == "0":
                severity.errors = [f"Select how much help the person needs with {category.name}"]
                valid = False
        if self.complete.data and valid and not self.answers().needs_with_severity:
            first = self.severity_field(self.categories[0])
            first.errors = ["Select at least one need, and how much help the person needs with it"]
            valid = False
        return valid

    def answers(self) -> AssessmentAnswers:
        """The validated answers as plain values for ``services``."""
        needs = {}
        for category in self.categories:
            severity = int(self.severity_field(category).data or 0)
            needs[category.code] = NeedAnswer(
                severity=severity,
                specific=tuple(self.specific_field(category).data or ()),
                notes=(self.notes_field(category).data or "").strip(),
            )
        constraints = set(self.constraints.data or [])
        miles = (self.max_travel_miles.data or "").strip()
        return AssessmentAnswers(
            needs=needs,
            remote_only="remote_only" in constraints,
            no_remote="no_remote" in constraints,
            women_only="women_only" in constraints,
            no_evenings="no_evenings" in constraints,
            max_travel_km=float(Decimal(miles)) * KM_PER_MILE if miles else None,
            notes=(self.notes.data or "").strip(),
            consent=bool(self.consent.data),
        )

    def fill_from(self, answers: AssessmentAnswers) -> None:
        """Show saved answers (on GET)."""
        for category in self.categories:
            answer = answers.needs.get(category.code)
            if answer is None:
                continue
            self.severity_field(category).data = str(answer.severity)
            self.specific_field(category).data = list(answer.specific)
            self.notes_field(category).data = answer.notes
        self.constraints.data = [name for name, _ in CONSTRAINTS if getattr(answers, name)]
        if answers.max_travel_km is not None:
            self.max_travel_miles.data = f"{answers.max_travel_km / KM_PER_MILE:g}"
        self.notes.data = answers.notes
        self.consent.data = answers.consent


def assessment_form_class(categories: Sequence[Need]) -> type[AssessmentFormBase]:
    """An assessment form with severity, specific needs and notes for each category."""
    fields: dict[str, Any] = {"categories": tuple(categories)}
    for category in categories:
        fields[f"severity_{category.code}"] = RadioField(
            category.name,
            widget=GovRadioInput(),
            choices=options(SEVERITIES),
            default="0",
            invalid_choice_message=f"Select how much help the person needs with {category.name}",
        )
        fields[f"specific_{category.code}"] = SelectMultipleField(
            "Which in particular? (optional)",
            widget=GovCheckboxesInput(),
            choices=options((child.code, child.name) for child in category.children),
        )
        fields[f"notes_{category.code}"] = TextAreaField(
            f"Notes on {category.name.lower()} (optional)",
            widget=GovTextArea(),
            validators=[Length(max=2000, message="Notes must be 2,000 characters or fewer")],
        )
    return type("AssessmentForm", (AssessmentFormBase,), fields)
