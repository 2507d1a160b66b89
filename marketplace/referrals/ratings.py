"""Service ratings: the Bayesian-smoothed mean shown to people (pure functions).

A service keeps the plain ``rating_sum`` and ``rating_count`` of the ratings it has had
from referrers and the people referred (a provider's own rating of a referral is about
the referral, not its own service, so it is never counted). Shown ratings are pulled
towards a platform-wide prior so that one 5-star rating does not outrank a hundred 4s:
``(C * m + sum) / (C + n)``, the same Bayesian average the matching ranking uses.
"""

from __future__ import annotations

from dataclasses import dataclass

RATING_MIN = 1
RATING_MAX = 5
PRIOR_MEAN = 4.0  # what we assume of a service before anyone has rated it
PRIOR_WEIGHT = 10.0  # how many ratings the prior is worth

# Each rating in words, as the feedback forms offer it and the service page shows it.
RATING_WORDS = {
    5: "Very good",
    4: "Good",
    3: "Neither good nor poor",
    2: "Poor",
    1: "Very poor",
}


@dataclass(frozen=True)
class ServiceRating:
    """What a page shows: the smoothed rating, the raw mean and how many ratings."""

    smoothed: float
    mean: float | None
    count: int

    @property
    def stars(self) -> str:
        """The smoothed rating as text, like "4.2 out of 5"."""
        return f"{self.smoothed:.1f} out of 5"


def smoothed_rating(
    rating_sum: float, rating_count: int, prior: float = PRIOR_MEAN, weight: float = PRIOR_WEIGHT
) -> float:
    """The Bayesian average; equals ``prior`` with no ratings and tends to the mean."""
    if rating_count < 0:
        raise ValueError("rating_count must not be negative")
    if weight + rating_count == 0:
        return prior
    return (weight * prior + float(rating_sum)) / (weight + rating_count)


def service_rating(rating_sum: float, rating_count: int) -> ServiceRating:
    mean = float(rating_sum) / rating_count if rating_count else None
    return ServiceRating(smoothed_rating(rating_sum, rating_count), mean, rating_count)


def is_valid_rating(value: object) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and RATING_MIN <= value <= RATING_MAX
    )
