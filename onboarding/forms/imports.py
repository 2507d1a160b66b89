"""Uploading an Open Referral UK file (admins) or a services CSV (providers)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovFileInput, GovSubmitInput
from wtforms import BooleanField, SubmitField


class OrukUploadForm(FlaskForm):
    file = FileField(
        "Open Referral UK file",
        widget=GovFileInput(),
        description="A JSON file in the Open Referral UK (HSDS 3.0) format, up to 20MB",
        validators=[
            FileRequired(message="Select an Open Referral UK file"),
            FileAllowed(["json"], message="The selected file must be a JSON file"),
        ],
    )
    verified = BooleanField(
        "Mark the imported organisations as verified", widget=GovCheckboxInput()
    )
    submit = SubmitField("Import file", widget=GovSubmitInput())


class CsvUploadForm(FlaskForm):
    file = FileField(
        "Services CSV file",
        widget=GovFileInput(),
        description="Use the template; each row becomes a draft service. Up to 20MB",
        validators=[
            FileRequired(message="Select a CSV file"),
            FileAllowed(["csv"], message="The selected file must be a CSV"),
        ],
    )
    submit = SubmitField("Upload services", widget=GovSubmitInput())
