"""Inviting people to an organisation and changing their role."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, RadioField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from marketplace.accounts.forms import confirm_password_field, new_password_field
from marketplace.organisations.models import MembershipRole
from onboarding.forms.fields import options

ROLE_CHOICES = options(
    [
        (MembershipRole.MEMBER.value, "Member – can update services, capacity and referrals"),
        (
            MembershipRole.ADMIN.value,
            "Administrator – can also manage the team and publish services",
        ),
    ]
)


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the email address of the person to invite"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320),
        ],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=ROLE_CHOICES,
        default=MembershipRole.MEMBER.value,
        validators=[InputRequired(message="Select a role")],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class RoleForm(FlaskForm):
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=ROLE_CHOICES,
        validators=[InputRequired(message="Select a role")],
    )
    submit = SubmitField("Save role", widget=GovSubmitInput())


class JoinWithNewAccountForm(FlaskForm):
    name = StringField(
        "Your full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your full name"), Length(max=200)],
    )
    password = new_password_field()
    confirm = confirm_password_field()
    submit = SubmitField("Create account and join", widget=GovSubmitInput())
