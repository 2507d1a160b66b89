"""Sign-in and password forms, with GOV.UK-style error messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from marketplace.accounts.passwords import MIN_LENGTH


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


def new_password_field(label: str = "Create a password") -> PasswordField:
    """A new password, with the length rule every account form shares."""
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        description=f"Must be at least {MIN_LENGTH} characters",
        validators=[
            InputRequired(message="Enter a password"),
            Length(
                min=MIN_LENGTH, max=200, message=f"Password must be {MIN_LENGTH} characters or more"
            ),
        ],
    )


def confirm_password_field(label: str = "Confirm your password") -> PasswordField:
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your password"),
            EqualTo("password", message="Passwords must match"),
        ],
    )


class NewPasswordForm(FlaskForm):
    password = new_password_field("New password")
    confirm = confirm_password_field("Confirm new password")
    submit = SubmitField("Change password", widget=GovSubmitInput())
