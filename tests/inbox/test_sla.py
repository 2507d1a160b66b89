"""Working days and the response target (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.referrals.sla import (
    LONDON,
    add_working_days,
    days_waiting,
    is_working_day,
    overdue_cutoff,
    response_due,
    working_days_between,
)


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2025, 12, 24))
    assert not is_working_day(date(2025, 12, 25))  # Christmas Day
    assert not is_working_day(date(2025, 12, 27))  # Saturday


def test_adding_working_days_skips_the_weekend() -> None:
    assert add_working_days(date(2026, 3, 6), 2) == date(2026, 3, 10)  # Fri -> Tue


def test_adding_working_days_skips_bank_holidays() -> None:
    # Thursday 24 Dec 2026 + 2 working days: 25th and 28th (substitute Boxing Day) are off.
    assert add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 6), -1)


def test_working_days_between_counts_only_working_days() -> None:
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 6)) == 0


def test_a_referral_sent_on_friday_is_due_by_the_end_of_tuesday() -> None:
    due = response_due(london(2026, 3, 6, 16, 0), 2)
    assert due == london(2026, 3, 11, 0, 0)


@pytest.mark.parametrize(
    "sent,now,overdue",
    [
        (london(2026, 3, 6, 16), london(2026, 3, 10, 23, 59), False),
        (london(2026, 3, 6, 16), london(2026, 3, 11, 0, 1), True),
        (london(2026, 3, 9, 9), london(2026, 3, 11, 17), False),
        (london(2026, 3, 9, 9), london(2026, 3, 12, 0, 0), True),
    ],
)
def test_overdue_cutoff_agrees_with_response_due(
    sent: datetime, now: datetime, overdue: bool
) -> None:
    assert (sent < overdue_cutoff(now, 2)) is overdue
    assert (now >= response_due(sent, 2)) is overdue


@given(
    sent=st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)),
    waited=st.timedeltas(timedelta(0), timedelta(days=20)),
    working_days=st.integers(0, 5),
)
def test_a_referral_is_overdue_exactly_when_its_response_is_due(
    sent: datetime, waited: timedelta, working_days: int
) -> None:
    """Over bank holidays, weekends and clock changes, at any moment of any day."""
    sent_at = sent.replace(tzinfo=UTC)
    now = sent_at + waited
    assert (sent_at < overdue_cutoff(now, working_days)) is (
        now >= response_due(sent_at, working_days)
    )


def test_days_waiting_counts_calendar_days_and_is_never_negative() -> None:
    assert days_waiting(london(2026, 3, 6, 23), london(2026, 3, 9, 1)) == 3
    assert days_waiting(london(2026, 3, 9, 1), london(2026, 3, 6, 23)) == 0
