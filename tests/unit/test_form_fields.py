"""The form fields every part of Pathways shares."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

from marketplace.form_fields import WholeNumberField, date_parts


class Places(Form):
    places = WholeNumberField(invalid_message="Places must be a whole number, like 12")


@pytest.mark.parametrize(
    ("typed", "number"), [("12", 12), (" 7 ", 7), ("-3", -3), ("+4", 4), ("", None)]
)
def test_a_whole_number_is_read(typed: str, number: int | None) -> None:
    form = Places(MultiDict({"places": typed}))
    assert form.validate()
    assert form.places.data == number


@pytest.mark.parametrize("typed", ["lots", "1.5", "1_000", "١٢", "²", "1e3"])
def test_anything_else_is_explained_and_shown_back(typed: str) -> None:
    form = Places(MultiDict({"places": typed}))
    assert not form.validate()
    assert form.places.errors == ["Places must be a whole number, like 12"]
    assert form.places._value() == typed


def test_a_date_input_always_has_three_parts() -> None:
    assert date_parts(["7"]) == ["7", "", ""]
    assert date_parts(["7", "3", "2026", "extra"]) == ["7", "3", "2026"]
    assert date_parts([]) == ["", "", ""]
