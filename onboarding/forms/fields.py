"""Field types the onboarding forms share."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectChoice, SelectMultipleField
from wtforms.validators import NumberRange, ValidationError

from marketplace.directory.models import PLACES_MAX, WAITING_DAYS_MAX


def options(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """Several checkboxes; an empty choice list (no areas loaded yet) is valid."""

    widget = GovCheckboxesInput()

    def pre_validate(self, form: Any) -> None:
        values = {
            str(choice.value if isinstance(choice, SelectChoice) else choice[0])
            for choice in (self.choices or [])
        }
        for item in self.data or []:
            if str(item) not in values:
                raise ValidationError("Select from the options given")


def places_in_range(what: str) -> NumberRange:
    """0 to PLACES_MAX places, the message naming the field as its label does."""
    return NumberRange(
        min=0, max=PLACES_MAX, message=f"{what} must be between 0 and {PLACES_MAX:,}"
    )


WAITING_DAYS_IN_RANGE = NumberRange(
    min=0,
    max=WAITING_DAYS_MAX,
    message=f"Waiting time must be between 0 and {WAITING_DAYS_MAX:,} days",
)
