"""Sign-up, organisation details and verification decision forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import EmailField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import URL, Email, InputRequired, Length, Optional

from marketplace.accounts.forms import confirm_password_field, new_password_field
from onboarding.forms.fields import CheckboxesField

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class OrganisationDetailsForm(FlaskForm):
    name = StringField(
        "Organisation name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your organisation’s name"),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
    )
    charity_number = StringField(
        "Registered charity number (if you have one)",
        widget=GovTextInput(),
        description="For example, 1123456 in England and Wales or SC012345 in Scotland",
        validators=[Optional()],
    )
    company_number = StringField(
        "Company number (if you have one)",
        widget=GovTextInput(),
        description="The 8-character number from Companies House, like 01234567",
        validators=[Optional()],
    )
    description = TextAreaField(
        "What your organisation does",
        widget=GovCharacterCount(),
        validators=[
            InputRequired(message="Enter what your organisation does"),
            Length(max=2000, message="Description must be 2000 characters or fewer"),
        ],
    )
    website = URLField(
        "Website (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            URL(message="Enter a website address in the correct format, like https://example.org"),
            Length(max=500),
        ],
    )
    email = EmailField(
        "Contact email address",
        widget=GovTextInput(),
        description="Where referrers and the Pathways team can reach your organisation",
        validators=[
            InputRequired(message="Enter a contact email address"),
            Email(message=EMAIL_FORMAT),
        ],
    )
    phone = StringField(
        "Contact phone number (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=40, message="Phone number must be 40 characters or fewer"),
        ],
    )
    safeguarding_lead_name = StringField(
        "Safeguarding lead’s full name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your safeguarding lead’s full name"),
            Length(max=200),
        ],
    )
    safeguarding_lead_email = EmailField(
        "Safeguarding lead’s email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your safeguarding lead’s email address"),
            Email(message=EMAIL_FORMAT),
        ],
    )
    area_ids = CheckboxesField("Areas your organisation covers (optional)", coerce=int, choices=[])
    submit = SubmitField("Save and continue", widget=GovSubmitInput())

    def details(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "charity_number",
                "company_number",
                "description",
                "website",
                "email",
                "phone",
                "safeguarding_lead_name",
                "safeguarding_lead_email",
                "area_ids",
            )
        }


class SignUpForm(OrganisationDetailsForm):
    account_name = StringField(
        "Your full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your full name"), Length(max=200)],
    )
    account_email = EmailField(
        "Your email address",
        widget=GovTextInput(),
        description="You will use this to sign in",
        validators=[
            InputRequired(message="Enter your email address"),
            Email(message=EMAIL_FORMAT),
            Length(max=320),
        ],
    )
    password = new_password_field()
    confirm = confirm_password_field()
    submit = SubmitField("Create account and continue", widget=GovSubmitInput())


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="The organisation’s administrators will see this in an email",
        validators=[
            InputRequired(message="Enter the reason"),
            Length(max=2000, message="Reason must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
