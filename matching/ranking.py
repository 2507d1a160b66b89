"""Ranking: a transparent score for each eligible service, and the ordered list of matches.

The score is a weighted mean of six terms, each a value from 0 to 1 with a short
plain-English explanation the referrer sees:

==================  ==================================================================
``need_coverage``   the person's needs the service meets, each weighted by severity
``distance``        exponential decay with distance, or remote/outreach fit
``capacity``        places available now, or a waiting list and how long it is
``rating``          mean 1–5 rating, smoothed toward the platform mean
``acceptance``      share of referrals accepted, smoothed toward the platform rate
``attendance``      share of booked appointments attended, smoothed likewise
==================  ==================================================================

Smoothing is the Bayesian average ``(C * m + sum) / (C + n)``: a service with few results
sits near the platform figure ``m`` and moves toward its own as evidence ``n`` grows, so one
5-star review does not beat forty 4.6s, and a new service is neither punished nor favoured.
Explanations quote the service's own figures with their counts, so the referrer can judge.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from matching.eligibility import (
    DEFAULT_POLICY,
    Eligibility,
    EligibilityPolicy,
    check_eligibility,
)
from matching.needs import Coverage, needs_met
from matching.types import (
    MAX_SEVERITY,
    AssessmentFacts,
    CandidateService,
    CapacityStatus,
    DeliveryMode,
)
from matching.wording import miles, plural, waiting_time


@dataclass(frozen=True, kw_only=True)
class Weights:
    """How much each score term counts, and the shape of the distance and waiting curves.

    Term weights (any non-negative numbers; the total is divided by their sum):

    - ``need_coverage`` 0.40: a referral exists to meet needs, so a service meeting the
      person's high needs must beat a nearer one meeting a minor need.
    - ``distance`` 0.20: the cost and time of travel are a practical barrier to attending,
      so it is the second strongest term.
    - ``capacity`` 0.15: help now beats help in two months, but a long wait for the right
      service can still beat the wrong service with places.
    - ``attendance`` 0.10, ``rating`` 0.10, ``acceptance`` 0.05: track record matters but is
      noisy and smoothed; acceptance counts least because a decline often says the referral
      did not fit rather than anything about the quality of the service.

    These are starting values, meant to be tuned against attendance and outcomes.

    Curve settings:

    - ``partial_need_credit`` 0.5: a service meeting only a sub-need of an assessed
      category counts for half of that need.
    - ``distance_half_km`` 10: value halves every 10 km (about 6 miles), so a service 2 km
      away scores 0.87, 10 km 0.5, 25 km (the default travel limit) 0.18.
    - ``remote_fit`` 0.75: a remote service for a person who can, but need not, take part
      remotely scores as an in-person service about 4 km away: face to face is preferred
      when it is close, remote beats a long journey. Remote-only people score 1.
    - ``unknown_distance_value`` 0.5: neutral when the distance cannot be known.
    - ``waiting_list_value`` 0.5 and ``waiting_half_days`` 28: a waiting list starts at half
      the value of places available and halves again every four weeks of wait; a waiting
      list with no stated wait is assumed to be four weeks.

    Raises ``ValueError`` for a negative weight, all-zero term weights, a credit or value
    outside 0–1, or a half-distance or half-wait that is not positive.
    """

    need_coverage: float = 0.40
    distance: float = 0.20
    capacity: float = 0.15
    rating: float = 0.10
    acceptance: float = 0.05
    attendance: float = 0.10
    partial_need_credit: float = 0.5
    distance_half_km: float = 10.0
    remote_fit: float = 0.75
    unknown_distance_value: float = 0.5
    waiting_list_value: float = 0.5
    waiting_half_days: float = 28.0

    def __post_init__(self) -> None:
        term_weights = [self.term_weight(term) for term in Term]
        if any(w < 0 for w in term_weights) or sum(term_weights) <= 0:
            raise ValueError("Term weights must be non-negative and not all zero")
        fractions = (
            self.partial_need_credit,
            self.remote_fit,
            self.unknown_distance_value,
            self.waiting_list_value,
        )
        if not all(0 <= f <= 1 for f in fractions):
            raise ValueError("Credits and values must be between 0 and 1")
        if self.distance_half_km <= 0 or self.waiting_half_days <= 0:
            raise ValueError("Half-distance and half-wait must be positive")

    def term_weight(self, term: Term) -> float:
        return float(getattr(self, term.value))


@dataclass(frozen=True, kw_only=True)
class Priors:
    """Platform-wide figures that sparse track records are smoothed toward.

    The caller should pass figures measured across all services (mean rating, acceptance
    and attendance rates); the defaults suit a new platform. Each ``*_weight`` is ``C``, how
    many results' worth of belief the platform figure carries: 10 means a service's own
    figure outweighs the prior once it has more than 10 results.

    Raises ``ValueError`` for a mean rating outside 1–5, a rate outside 0–1, or a negative
    weight.
    """

    rating_mean: float = 4.0
    rating_weight: float = 10.0
    acceptance_rate: float = 0.75
    acceptance_weight: float = 10.0
    attendance_rate: float = 0.70
    attendance_weight: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.rating_mean <= 5:
            raise ValueError("rating_mean must be between 1 and 5")
        if not (0 <= self.acceptance_rate <= 1 and 0 <= self.attendance_rate <= 1):
            raise ValueError("Rates must be between 0 and 1")
        weights = (self.rating_weight, self.acceptance_weight, self.attendance_weight)
        if any(w < 0 for w in weights):
            raise ValueError("Prior weights must not be negative")


class Term(enum.StrEnum):
    """The score terms; each value is also the name of its weight in :class:`Weights`."""

    NEED_COVERAGE = "need_coverage"
    DISTANCE = "distance"
    CAPACITY = "capacity"
    RATING = "rating"
    ACCEPTANCE = "acceptance"
    ATTENDANCE = "attendance"


@dataclass(frozen=True)
class ScoreTerm:
    """One term of a score: its value (0–1), its weight, and what it means in words."""

    name: Term
    value: float
    weight: float
    explanation: str


@dataclass(frozen=True)
class Score:
    """A service's score for a person: ``total`` is the weighted mean of the term values,
    from 0 (worst) to 1 (best)."""

    total: float
    terms: tuple[ScoreTerm, ...]

    def term(self, name: Term) -> ScoreTerm:
        """The term called ``name``; raises ``KeyError`` if the score has none."""
        for term in self.terms:
            if term.name == name:
                return term
        raise KeyError(name)


@dataclass(frozen=True)
class Match:
    """A candidate service with its eligibility and, if eligible, its score."""

    service: CandidateService
    eligibility: Eligibility
    score: Score | None

    @property
    def eligible(self) -> bool:
        return self.eligibility.passed


def smoothed_mean(prior: float, prior_weight: float, total: float, count: int) -> float:
    """The Bayesian average ``(C * m + total) / (C + n)``; the prior when there is no evidence.

    Always lies between the prior ``m`` and the observed mean ``total / n``.
    """
    if prior_weight + count == 0:
        return prior
    return (prior_weight * prior + total) / (prior_weight + count)


def _halving(amount: float, half: float) -> float:
    return float(0.5 ** (amount / half))


def _need_phrase(needs: list[str], met: dict[str, Coverage], kind: str) -> str:
    covered = [need for need in needs if need in met]
    in_part = [need for need in covered if met[need] is Coverage.PARTIAL]
    text = f"{len(covered)} of {plural(len(needs), kind)}"
    return f"{text} ({len(in_part)} in part)" if in_part else text


def need_coverage_term(
    facts: AssessmentFacts, service: CandidateService, weights: Weights
) -> ScoreTerm:
    """Severity-weighted share of the person's needs met: a severity-3 need counts three
    times a severity-1 need; a need met only in part earns ``partial_need_credit``."""
    weight = weights.need_coverage
    assessed = facts.assessed_needs
    if not assessed:
        return ScoreTerm(Term.NEED_COVERAGE, 0.0, weight, "No needs assessed")
    met = needs_met(assessed, service.need_codes)
    credit = {Coverage.FULL: 1.0, Coverage.PARTIAL: weights.partial_need_credit}
    earned = sum(assessed[need] * credit[how] for need, how in met.items())
    value = earned / sum(assessed.values())
    high = [need for need, severity in assessed.items() if severity == MAX_SEVERITY]
    other = [need for need, severity in assessed.items() if severity < MAX_SEVERITY]
    if high and other:
        phrase = (
            f"{_need_phrase(high, met, 'high need')} and {_need_phrase(other, met, 'other need')}"
        )
    elif high:
        phrase = _need_phrase(high, met, "high need")
    else:
        phrase = _need_phrase(other, met, "need")
    return ScoreTerm(Term.NEED_COVERAGE, value, weight, f"Covers {phrase}")


def distance_term(facts: AssessmentFacts, service: CandidateService, weights: Weights) -> ScoreTerm:
    """How easily the person reaches the service.

    Remote-only person: 1 for a remote service, 0 otherwise. Outreach in one of the person's
    areas: 1 (the service comes to them). Otherwise the in-person value halves every
    ``distance_half_km``; if the person can also use remote, the better of that and
    ``remote_fit``. An unknown distance with no remote option scores
    ``unknown_distance_value``.
    """
    weight = weights.distance
    constraints = facts.constraints
    remote_usable = service.offers_remote and not constraints.no_remote
    if constraints.remote_only:
        if remote_usable:
            return ScoreTerm(Term.DISTANCE, 1.0, weight, "remote")
        return ScoreTerm(Term.DISTANCE, 0.0, weight, "not delivered remotely")
    outreach = DeliveryMode.OUTREACH in service.delivery_modes
    if outreach and service.service_area_codes & facts.area_codes:
        return ScoreTerm(Term.DISTANCE, 1.0, weight, "outreach in this area")
    distance_km = service.distance_km
    if distance_km is None:
        if remote_usable:
            return ScoreTerm(Term.DISTANCE, weights.remote_fit, weight, "remote")
        return ScoreTerm(Term.DISTANCE, weights.unknown_distance_value, weight, "distance unknown")
    in_person = _halving(distance_km, weights.distance_half_km)
    if remote_usable and weights.remote_fit > in_person:
        return ScoreTerm(
            Term.DISTANCE, weights.remote_fit, weight, f"remote, or {miles(distance_km)}"
        )
    if remote_usable:
        return ScoreTerm(Term.DISTANCE, in_person, weight, f"{miles(distance_km)}, or remote")
    return ScoreTerm(Term.DISTANCE, in_person, weight, miles(distance_km))


def capacity_term(service: CandidateService, weights: Weights) -> ScoreTerm:
    """Places available now score 1, less any wait for a first appointment; a waiting list
    starts at ``waiting_list_value``; both halve every ``waiting_half_days`` of wait."""
    weight = weights.capacity
    days = service.waiting_days
    if service.capacity_status == CapacityStatus.FULL:
        return ScoreTerm(Term.CAPACITY, 0.0, weight, "full")
    if service.capacity_status == CapacityStatus.WAITING_LIST:
        assumed_days = weights.waiting_half_days if days is None else days
        value = weights.waiting_list_value * _halving(assumed_days, weights.waiting_half_days)
        wait = "wait not given" if days is None else waiting_time(days)
        return ScoreTerm(Term.CAPACITY, value, weight, f"waiting list, {wait}")
    value = _halving(days or 0, weights.waiting_half_days)
    places = "places available"
    if service.capacity is not None and service.capacity > service.places_taken:
        places = f"{plural(service.capacity - service.places_taken, 'place')} available"
    if days:
        places += f", first appointment in {waiting_time(days)}"
    return ScoreTerm(Term.CAPACITY, value, weight, places)


def rating_term(service: CandidateService, weights: Weights, priors: Priors) -> ScoreTerm:
    """The smoothed mean rating mapped from 1–5 onto 0–1."""
    smoothed = smoothed_mean(
        priors.rating_mean, priors.rating_weight, service.rating_sum, service.rating_count
    )
    value = (smoothed - 1) / 4
    if service.rating_count == 0:
        return ScoreTerm(Term.RATING, value, weights.rating, "not yet rated")
    mean = service.rating_sum / service.rating_count
    explanation = f"rated {mean:.1f} from {plural(service.rating_count, 'rating')}"
    return ScoreTerm(Term.RATING, value, weights.rating, explanation)


def acceptance_term(service: CandidateService, weights: Weights, priors: Priors) -> ScoreTerm:
    """The smoothed share of referrals the service accepted."""
    received, accepted = service.referrals_received, service.referrals_accepted
    value = smoothed_mean(priors.acceptance_rate, priors.acceptance_weight, accepted, received)
    if received == 0:
        return ScoreTerm(Term.ACCEPTANCE, value, weights.acceptance, "no referrals yet")
    explanation = f"accepts {accepted / received:.0%} of {plural(received, 'referral')}"
    return ScoreTerm(Term.ACCEPTANCE, value, weights.acceptance, explanation)


def attendance_term(service: CandidateService, weights: Weights, priors: Priors) -> ScoreTerm:
    """The smoothed share of booked appointments the people referred attended."""
    booked, attended = service.appointments_booked, service.appointments_attended
    value = smoothed_mean(priors.attendance_rate, priors.attendance_weight, attended, booked)
    if booked == 0:
        return ScoreTerm(Term.ATTENDANCE, value, weights.attendance, "no appointments yet")
    explanation = f"{attended / booked:.0%} of {plural(booked, 'appointment')} attended"
    return ScoreTerm(Term.ATTENDANCE, value, weights.attendance, explanation)


def score(
    facts: AssessmentFacts,
    service: CandidateService,
    weights: Weights = Weights(),
    *,
    priors: Priors = Priors(),
) -> Score:
    """Score ``service`` for the person described by ``facts``.

    Does not check eligibility (see :func:`rank`). The total is the weighted mean of the
    term values and always lies between 0 and 1; the terms come in :class:`Term` order.
    """
    terms = (
        need_coverage_term(facts, service, weights),
        distance_term(facts, service, weights),
        capacity_term(service, weights),
        rating_term(service, weights, priors),
        acceptance_term(service, weights, priors),
        attendance_term(service, weights, priors),
    )
    weighted = sum(term.value * term.weight for term in terms)
    total = weighted / sum(term.weight for term in terms)
    return Score(total=min(1.0, max(0.0, total)), terms=terms)


def explain(score: Score) -> str:
    """A one-line summary of the terms that count (weight above 0), joined by " · ", e.g.
    "Covers 2 of 3 high needs · 1.2 miles · places available · rated 4.5 from 38 ratings"."""
    return " · ".join(term.explanation for term in score.terms if term.weight > 0)


def _order_key(match: Match) -> tuple[float, bool, float, int]:
    total = match.score.total if match.score is not None else 0.0
    distance_km = match.service.distance_km
    return (-total, distance_km is None, distance_km or 0.0, match.service.service_id)


def rank(
    facts: AssessmentFacts,
    services: Iterable[CandidateService],
    weights: Weights = Weights(),
    *,
    priors: Priors = Priors(),
    policy: EligibilityPolicy = DEFAULT_POLICY,
) -> list[Match]:
    """Every candidate as a :class:`Match`: first the eligible ones, best score first, ties
    broken by distance (unknown last) then ``service_id``; then the refused ones, with
    their refusals and no score, fewest refusals first then by ``service_id``.

    The order depends only on the candidates, never on the order they are given in.
    """
    eligible: list[Match] = []
    refused: list[Match] = []
    for service in services:
        eligibility = check_eligibility(facts, service, policy)
        if eligibility.passed:
            eligible.append(
                Match(service, eligibility, score(facts, service, weights, priors=priors))
            )
        else:
            refused.append(Match(service, eligibility, None))
    eligible.sort(key=_order_key)
    refused.sort(key=lambda m: (len(m.eligibility.refusals), m.service.service_id))
    return eligible + refused
