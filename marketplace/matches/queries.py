"""Reads for the matches page: ranked matches with explanations, "why not", map pins."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, text

from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.matches.candidates import candidate_services, named_services
from marketplace.matches.facts import PersonPlace, assessment_facts, person_place
from marketplace.people.answers import matching_needs, need_notes
from marketplace.people.models import NeedsAssessment
from marketplace.people.queries import need_names
from marketplace.referrals.models import OPEN_STATES, Referral
from matching import (
    AssessmentFacts,
    CandidateService,
    Match,
    Priors,
    Rule,
    Weights,
    needs_met,
    rank,
)
from matching.types import ServiceStatus

PRIORS_TTL_SECONDS = 600
_priors_cache: dict[str, tuple[float, Priors]] = {}


def weights() -> Weights:
    """Ranking weights: matching's defaults (justified in ``matching.Weights``), each
    overridable by the ``MATCHING_WEIGHTS`` setting, e.g. ``{"distance": 0.3}``."""
    return Weights(**current_app.config.get("MATCHING_WEIGHTS", {}))


_PRIORS_SQL = text(
    """
    SELECT sum(rating_sum) / nullif(sum(rating_count), 0) AS rating_mean,
           sum(referrals_accepted)::float8 / nullif(sum(referrals_received), 0) AS acceptance,
           sum(appointments_attended)::float8 / nullif(sum(appointments_booked), 0) AS attendance
    FROM service WHERE status = 'published'
    """
)


def platform_priors() -> Priors:
    """Platform-wide rating, acceptance and attendance that sparse track records are
    smoothed toward; matching's defaults until there is evidence. Measured at most every
    ten minutes per process (they move slowly and cost a scan of the services)."""
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    cached = _priors_cache.get(key)
    if cached and time.monotonic() - cached[0] < PRIORS_TTL_SECONDS:
        return cached[1]
    row = db.session.execute(_PRIORS_SQL).one()
    defaults = Priors()
    priors = Priors(
        rating_mean=float(row.rating_mean) if row.rating_mean else defaults.rating_mean,
        acceptance_rate=row.acceptance if row.acceptance is not None else defaults.acceptance_rate,
        attendance_rate=row.attendance if row.attendance is not None else defaults.attendance_rate,
    )
    _priors_cache[key] = (time.monotonic(), priors)
    return priors


@dataclass(frozen=True)
class MatchList:
    """The matches for one assessment: eligible ones best first, then the refused."""

    facts: AssessmentFacts
    place: PersonPlace
    eligible: list[Match]
    refused: list[Match]

    @property
    def refusal_counts(self) -> list[tuple[Rule, int]]:
        """How many refused services each rule excluded, most common first."""
        counts = Counter(r.rule for m in self.refused for r in m.eligibility.refusals)
        return counts.most_common()


def matches_for(assessment: NeedsAssessment) -> MatchList:
    """Candidates for the assessment, checked and ranked by ``matching``."""
    place = person_place(assessment.person_id)
    facts = assessment_facts(assessment, place)
    candidates = candidate_services(facts, place)
    ranked = rank(facts, candidates, weights(), priors=platform_priors())
    return MatchList(
        facts=facts,
        place=place,
        eligible=[m for m in ranked if m.eligible],
        refused=[m for m in ranked if not m.eligible],
    )


def is_listed(service: CandidateService) -> bool:
    """Whether referrers may see the service at all: published or paused, of a verified
    organisation. Anything else is answered as not found, so its existence does not leak."""
    return service.status != ServiceStatus.DRAFT and service.organisation_verified


@dataclass(frozen=True)
class CheckedServices:
    """Named services checked and scored for an assessment, in id order, with each
    one's location nearest the person (service id -> location id)."""

    matches: list[Match]
    nearest_location: dict[int, int]


def check_services(
    assessment: NeedsAssessment, service_ids: Iterable[int], place: PersonPlace | None = None
) -> CheckedServices:
    """The named services checked and scored for the assessment, whatever their status
    (for "why not" and for checking a referral before it is sent). Pass the person's
    ``place`` if it is already known."""
    place = place or person_place(assessment.person_id)
    facts = assessment_facts(assessment, place)
    named = named_services(service_ids, place)
    ranked = rank(facts, named.candidates, weights(), priors=platform_priors())
    by_id = {match.service.service_id: match for match in ranked}
    return CheckedServices(
        matches=[by_id[service.service_id] for service in named.candidates],
        nearest_location=named.nearest_location,
    )


def matches_for_services(
    assessment: NeedsAssessment, service_ids: Iterable[int], place: PersonPlace | None = None
) -> list[Match]:
    """:func:`check_services` without the locations."""
    return check_services(assessment, service_ids, place).matches


@dataclass(frozen=True)
class Pin:
    """Where to show a service on the map: its nearest location to the person. A hidden
    location (a refuge) has no coordinates here, so it is never drawn."""

    service_id: int
    location_id: int
    name: str
    latitude: float | None
    longitude: float | None
    hidden: bool


_PINS_SQL = text(
    """
    SELECT DISTINCT ON (sl.service_id)
           sl.service_id, l.id AS location_id, l.name, l.hidden,
           ST_Y(l.point::geometry) AS latitude, ST_X(l.point::geometry) AS longitude
    FROM service_location sl JOIN location l ON l.id = sl.location_id
    WHERE sl.service_id = ANY(CAST(:service_ids AS int[]))
    ORDER BY sl.service_id,
             ST_Distance(l.point, CAST(:point AS geography), false) NULLS LAST, l.id
    """
)


def nearest_locations(service_ids: Iterable[int], place: PersonPlace) -> dict[int, Pin]:
    """Service id -> its location nearest the person (any location if the person's place
    is unknown)."""
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    rows = db.session.execute(_PINS_SQL, {"service_ids": ids, "point": place.ewkt}).all()
    return {
        row.service_id: Pin(
            service_id=row.service_id,
            location_id=row.location_id,
            name="" if row.hidden else row.name,
            latitude=None if row.hidden else row.latitude,
            longitude=None if row.hidden else row.longitude,
            hidden=row.hidden,
        )
        for row in rows
    }


def open_referrals(person_id: int, service_ids: Iterable[int]) -> dict[int, Referral]:
    """Service id -> the person's open referral to it, for the given services."""
    ids = list(set(service_ids))
    if not ids:
        return {}
    referrals = db.session.scalars(
        select(Referral).where(
            Referral.person_id == person_id,
            Referral.service_id.in_(ids),
            Referral.state.in_(OPEN_STATES),
        )
    )
    return {referral.service_id: referral for referral in referrals}


def suggested_reason(
    assessment: NeedsAssessment, need_codes: Iterable[str], need_names: dict[str, str]
) -> str:
    """The reason pre-filled on a referral: the assessment's summary, then the referrer's
    notes on each category the referral is for; when there are neither, the needs and how
    much help each needs."""
    notes = need_notes(assessment)
    parts = [assessment.notes.strip()] if assessment.notes.strip() else []
    seen = set()
    for code in need_codes:
        category = code.split(".", 1)[0]
        if category in notes and category not in seen:
            seen.add(category)
            parts.append(f"{need_names.get(category, category)}: {notes[category]}")
    if not parts:
        severities = matching_needs(assessment)
        words = {1: "low", 2: "medium", 3: "high"}
        listed = [
            f"{need_names.get(code, code)} ({words.get(severities.get(code, 0), 'assessed')} need)"
            for code in need_codes
        ]
        parts.append("Assessed as needing help with: " + ", ".join(listed) + ".")
    return "\n\n".join(parts)


SEVERITY_WORDS = {1: "low", 2: "medium", 3: "high"}


@dataclass(frozen=True)
class ServiceChoice:
    """A service on the referral confirmation: the assessed needs it meets (code, label),
    most severe first, the pre-filled reason, the version the referrer is shown, and
    whether to offer its waiting list (it counts places and has none free)."""

    service_id: int
    name: str
    version: int
    needs: Sequence[tuple[str, str]]
    reason: str
    offer_waiting_list: bool


def confirmation_choices(assessment: NeedsAssessment, matches: list[Match]) -> list[ServiceChoice]:
    """What the confirmation shows for each matched service, filled in from the assessment."""
    names = need_names()
    assessed = matching_needs(assessment)
    versions = dict(
        db.session.execute(
            select(Service.id, Service.version).where(
                Service.id.in_([m.service.service_id for m in matches])
            )
        ).all()
    )
    choices = []
    for match in matches:
        service = match.service
        met = needs_met(assessed, service.need_codes)
        ordered = sorted(met, key=lambda code: (-assessed[code], code))
        choices.append(
            ServiceChoice(
                service_id=service.service_id,
                name=service.name,
                version=versions[service.service_id],
                needs=[
                    (code, f"{names.get(code, code)} ({SEVERITY_WORDS[assessed[code]]} need)")
                    for code in ordered
                ],
                reason=suggested_reason(assessment, ordered, names),
                offer_waiting_list=service.capacity is not None
                and service.places_taken >= service.capacity,
            )
        )
    return choices
