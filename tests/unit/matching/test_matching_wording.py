"""Distances shown in miles and waits, lists and counts phrased as people say them."""

import pytest

from matching.wording import (
    join_words,
    label,
    language_name,
    miles,
    plural,
    waiting_time,
)


@pytest.mark.parametrize(
    ("km", "shown"),
    [
        (1.931, "1.2 miles"),
        (1.609344, "1.0 miles"),
        (42.3, "26.3 miles"),
        (0.05, "under 0.1 miles"),
        (0.0, "under 0.1 miles"),
    ],
)
def test_distances_are_shown_in_miles(km, shown):
    assert miles(km) == shown


@pytest.mark.parametrize(
    ("days", "shown"),
    [(1, "1 day"), (13, "13 days"), (14, "about 2 weeks"), (21, "about 3 weeks")],
)
def test_waiting_time_in_days_then_weeks(days, shown):
    assert waiting_time(days) == shown


def test_words_are_joined_in_a_stable_order():
    assert join_words(["pl", "en"]) == "en and pl"
    assert join_words(["c", "a", "b"], "or") == "a, b or c"
    assert join_words(["only"]) == "only"
    assert join_words([]) == ""


def test_plural_counts():
    assert plural(1, "need") == "1 need"
    assert plural(0, "need") == "0 needs"
    assert plural(3, "high need") == "3 high needs"


def test_codes_without_a_label_read_as_words():
    assert label("very_high") == "very high"
    assert label("domestic_abuse") == "domestic abuse"


def test_language_names():
    assert language_name("pl") == "Polish"
    assert language_name("zz") == 'language "zz"'
