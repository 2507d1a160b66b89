"""GOV.UK date inputs: three boxes (day, month, year) posted under one name.

A browser always sends the three; a hand-made or truncated request may send fewer or
more, and GOV.UK's widget unpacks exactly three when it shows the form again. Padding (or
cutting) to three makes such a request an ordinary "enter a real date" error, not a 500.
"""

from __future__ import annotations

from typing import Any

from wtforms import DateField


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
