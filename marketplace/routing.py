"""Numbers that arrive in URLs: row ids in paths and whole numbers in query strings.

Anything a person or a program can type into a URL must be checked before it reaches the
database: an id beyond PostgreSQL's ``integer`` or a page beyond ``bigint`` would be a
database error (a 500), not the "page not found" it should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import IntegerConverter, Map

ROW_ID_MAX = 2**31 - 1  # our ids are PostgreSQL integers
PAGE_MAX = 100_000  # far past the end of any list; the page says there is nothing there


class RowId(IntegerConverter):
    """``<int:...>`` in every route: a whole number from 1 to ``ROW_ID_MAX``. Any other
    number does not match the route, so the answer is a 404 like any unknown address."""

    def __init__(
        self,
        map: Map,  # noqa: A002 - werkzeug's name
        fixed_digits: int = 0,
        min: int | None = 1,  # noqa: A002
        max: int | None = ROW_ID_MAX,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def whole_number(value: Any, *, most: int = ROW_ID_MAX) -> int | None:
    """``value`` as a whole number from 1 to ``most``, or None for anything else (blank,
    signs, spaces, non-ASCII digits such as "²", which ``str.isdigit`` accepts)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(most)):
        return None
    number = int(value)
    return number if 1 <= number <= most else None


def row_ids(values: list[str]) -> list[int]:
    """The distinct valid row ids among ``values``, in order; the rest are dropped."""
    found = (whole_number(value) for value in values)
    return list(dict.fromkeys(number for number in found if number is not None))


def page_number(args: Mapping[str, str]) -> int:
    """``?page=`` as a page number from 1 to ``PAGE_MAX``; anything else is page 1."""
    return whole_number(args.get("page"), most=PAGE_MAX) or 1
