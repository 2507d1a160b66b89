"""A delivery location: address, postcode and whether the address must stay hidden."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional


class LocationForm(FlaskForm):
    name = StringField(
        "Location name",
        widget=GovTextInput(),
        description="For example, Leeds hub or Women’s refuge",
        validators=[InputRequired(message="Enter a name for the location"), Length(max=200)],
    )
    address_line_1 = StringField(
        "Address line 1",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter address line 1, typically the building and street"),
            Length(max=200),
        ],
    )
    address_line_2 = StringField(
        "Address line 2 (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=200)]
    )
    town = StringField(
        "Town or city",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter town or city"), Length(max=100)],
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a postcode, like SW1A 1AA"),
            Length(max=10, message="Enter a real postcode, like SW1A 1AA"),
        ],
    )
    hidden = BooleanField(
        "Keep this address confidential (for example, a refuge)",
        widget=GovCheckboxInput(),
        description="Referrers and the public will only see the area, never the address or a map pin",
    )
    submit = SubmitField("Save location", widget=GovSubmitInput())

    def fields(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in ("name", "address_line_1", "address_line_2", "town", "postcode", "hidden")
        }
