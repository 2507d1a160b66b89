"""Whole numbers from URLs: only what the database can hold gets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.routing import PAGE_MAX, ROW_ID_MAX, page_number, row_ids, whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        (str(ROW_ID_MAX), ROW_ID_MAX),
        (str(ROW_ID_MAX + 1), None),
        ("9" * 40, None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("²", None),  # str.isdigit says yes; int() says no
        ("١٢", None),  # Arabic-Indic digits: int() would accept them
        ("", None),
        (None, None),
    ],
)
def test_whole_number(value: str | None, expected: int | None) -> None:
    assert whole_number(value) == expected


@given(st.text(max_size=30))
def test_whole_number_is_none_or_in_range(value: str) -> None:
    number = whole_number(value)
    assert number is None or 1 <= number <= ROW_ID_MAX


def test_page_number_is_one_unless_a_page_in_range_is_asked_for() -> None:
    assert page_number({}) == 1
    assert page_number({"page": "7"}) == 7
    assert page_number({"page": str(PAGE_MAX)}) == PAGE_MAX
    assert page_number({"page": str(PAGE_MAX + 1)}) == 1
    assert page_number({"page": "-3"}) == 1


def test_row_ids_keeps_the_valid_ones_once_in_order() -> None:
    assert row_ids(["3", "x", "1", "3", "99999999999", "2"]) == [3, 1, 2]
