"""The ``date`` template filter: GOV.UK dates in London time, written without strftime."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.referrals.sla import LONDON
from marketplace.template_globals import format_date


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 5, 9, 7, tzinfo=UTC), "5 January 2026 at 9:07am"),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "31 December 2026 at 11:59pm"),
        (datetime(2026, 3, 1, 0, 5, tzinfo=UTC), "1 March 2026 at 12:05am"),  # midnight
        (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "1 March 2026 at 12:00pm"),  # noon
        # British Summer Time: 23:30 UTC on 30 June is half past midnight on 1 July.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026 at 12:30am"),
        (datetime(2026, 6, 30, 13, 30), "30 June 2026 at 1:30pm"),  # naive: shown as is
    ],
)
def test_dates_are_written_as_gov_uk_writes_them_in_london_time(
    moment: datetime, expected: str
) -> None:
    assert format_date(moment, with_time=True) == expected
    assert format_date(moment) == expected.split(" at ")[0]


def test_a_day_and_nothing_are_formatted_too() -> None:
    assert format_date(date(2026, 8, 9)) == "9 August 2026"
    assert format_date(date(2026, 8, 9), with_time=True) == "9 August 2026"
    assert format_date(None) == ""


def test_every_day_of_a_year_matches_strftime_in_the_c_locale() -> None:
    start = datetime(2026, 1, 1, 0, 17, tzinfo=UTC)
    for hours in range(0, 366 * 24, 7):
        moment = start + timedelta(hours=hours)
        local = moment.astimezone(LONDON)
        expected = local.strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")
        assert format_date(moment, with_time=True) == expected
