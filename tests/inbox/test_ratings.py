"""Bayesian-smoothed service ratings (pure functions)."""

from __future__ import annotations

import pytest

from marketplace.referrals.ratings import (
    PRIOR_MEAN,
    is_valid_rating,
    service_rating,
    smoothed_rating,
)


def test_no_ratings_shows_the_prior() -> None:
    assert smoothed_rating(0, 0) == PRIOR_MEAN
    assert service_rating(0, 0).mean is None


def test_one_five_star_rating_moves_the_rating_only_a_little() -> None:
    assert smoothed_rating(5, 1) == pytest.approx((10 * 4 + 5) / 11)


def test_many_ratings_outweigh_the_prior() -> None:
    assert smoothed_rating(2 * 1000, 1000) == pytest.approx(2.0, abs=0.03)


def test_smoothed_rating_lies_between_prior_and_mean() -> None:
    for total, count in [(3, 1), (25, 5), (100, 50), (7, 7)]:
        mean = total / count
        value = smoothed_rating(total, count)
        assert min(mean, PRIOR_MEAN) <= value <= max(mean, PRIOR_MEAN)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        smoothed_rating(0, -1)


def test_shown_rating_reads_as_text() -> None:
    assert service_rating(46, 10).stars == "4.3 out of 5"


@pytest.mark.parametrize(
    "value,valid",
    [(1, True), (5, True), (0, False), (7, False), (True, False), ("3", False), (3.5, False)],
)
def test_only_whole_ratings_from_one_to_five_are_valid(value: object, valid: bool) -> None:
    assert is_valid_rating(value) is valid
