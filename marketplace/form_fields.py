"""Form fields every part of Pathways shares: whole numbers and GOV.UK date inputs.

A GOV.UK date input is three boxes (day, month, year) posted under one name. A browser
always sends the three; a hand-made or truncated request may send fewer or more, and
GOV.UK's widget unpacks exactly three when it shows the form again. Padding (or cutting)
to three makes such a request an ordinary "enter a real date" error, not a 500.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import DateField, IntegerField

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")  # ASCII digits: int() would take "١٢" and "1_000"


def date_parts(valuelist: list[Any]) -> list[str]:
    """The day, month and year as sent, always three (missing parts are blank)."""
    return [str(value) for value in [*valuelist, "", "", ""][:3]]


class DateInputField(DateField):
    """wtforms' DateField for a GOV.UK date input: always exactly three parts."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            valuelist = date_parts(valuelist)
            self.raw_data = valuelist
        super().process_formdata(valuelist)


class WholeNumberField(IntegerField):
    """A whole-number input that says what was wrong in GOV.UK words (not WTForms'
    "Not a valid integer value"), and shows what was typed when the form comes back."""

    def __init__(self, *args: Any, invalid_message: str = "Enter a whole number", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        if not WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(self.invalid_message)
        self.data = int(text)
