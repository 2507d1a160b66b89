"""Working-day arithmetic for the response target (pure functions, no Flask).

Providers are asked to respond to a new referral within a number of working days
(Monday to Friday, excluding bank holidays in England and Wales). Bank holidays come
from the ``holidays`` package, which ships the calendar offline.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (``count`` >= 0)."""
    if count < 0:
        raise ValueError("count must not be negative")
    current = day
    added = 0
    while added < count:
        current += timedelta(days=1)
        if is_working_day(current):
            added += 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` <= ``start``)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def response_due(sent_at: datetime, working_days: int) -> datetime:
    """When a response to a referral sent at ``sent_at`` is due: the end of the
    ``working_days``-th working day after the day it was sent (London time)."""
    sent_day = sent_at.astimezone(LONDON).date()
    due_day = add_working_days(sent_day, working_days)
    return datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=LONDON)


def overdue_cutoff(now: datetime, working_days: int) -> datetime:
    """The instant such that a referral sent before it is overdue at ``now``.

    Equivalently: a referral is overdue exactly when ``sent_at < overdue_cutoff(now)``,
    which lets the inbox filter and count overdue referrals with an index range scan.
    """
    return _overdue_cutoff_on(now.astimezone(LONDON).date(), working_days)


@lru_cache(maxsize=64)
def _overdue_cutoff_on(today: date, working_days: int) -> datetime:
    # Walk back to the latest sending day whose response is already due. A response is due
    # at a midnight, so whether it is due at some moment of today depends on the date only
    # (due by midnight after ``due_day`` has passed exactly when ``due_day`` < today): the
    # answer is the same all day, and every inbox page of the day shares it.
    day = today
    while add_working_days(day, working_days) >= today:
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)


def days_waiting(sent_at: datetime, now: datetime) -> int:
    """Whole calendar days since ``sent_at`` (London dates), never negative."""
    return max((now.astimezone(LONDON).date() - sent_at.astimezone(LONDON).date()).days, 0)
