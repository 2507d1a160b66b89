"""The quick capacity update: every service of an organisation on one form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, SubmitField
from wtforms.validators import Optional

from marketplace.database import choices
from marketplace.form_fields import WholeNumberField
from marketplace.vocabulary import LABELS, CapacityStatus
from onboarding.forms.fields import (
    WAITING_DAYS_IN_RANGE,
    options,
    places_in_range,
)


class CapacityRowForm(Form):
    service_id = HiddenField()
    version = HiddenField()
    capacity = WholeNumberField(
        "Total places",
        widget=GovTextInput(),
        invalid_message="Total places must be a whole number, like 12",
        validators=[
            Optional(),
            places_in_range("Total places"),
        ],
    )
    capacity_status = SelectField(
        "Taking people now", widget=GovSelect(), choices=options(choices(CapacityStatus, LABELS))
    )
    waiting_days = WholeNumberField(
        "Waiting time in days",
        widget=GovTextInput(),
        invalid_message="Waiting time must be a whole number of days, like 14",
        validators=[
            Optional(),
            WAITING_DAYS_IN_RANGE,
        ],
    )


class QuickCapacityForm(FlaskForm):
    rows = FieldList(FormField(CapacityRowForm))
    submit = SubmitField("Save all changes", widget=GovSubmitInput())
