"""Candidate retrieval: which services matching should look at for an assessment.

The search backend finds them (``search.find_services``, PostgreSQL or Elasticsearch,
whichever is configured) in one query: published services of verified organisations that
list a code meeting at least one assessed need fully or in part, and can reach the person
(delivered remotely, delivered to one of the person's areas, or with a location within the
travel limit); it keeps the ``budget`` most relevant (severity-weighted need coverage, then
reachable locally) and gives each one's distance to its nearest location (to a hidden
refuge rounded up to a whole kilometre). A second statement reads, for those services
only, the columns matching needs that search does not carry. Eligibility and ranking are
left to ``matching``.

Why a budget: at 10,000 services a person with several common needs can have thousands of
remote candidates; ranking them all in Python would cost more than the page's time
budget. Need coverage is the strongest ranking term, so keeping the best-covering services
(local ones first among equals) keeps the services that can rank highest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.matches.facts import PersonPlace, candidate_service
from matching import AssessmentFacts, CandidateService
from matching.eligibility import DEFAULT_POLICY
from search.engine import find_services, known_need_codes
from search.query import NeedWeight, Point, SearchQuery, Sort

log = logging.getLogger(__name__)

DEFAULT_BUDGET = 150
PARTIAL_CREDIT = 0.5  # as matching.Weights.partial_need_credit: ordering only
CREDIT_SCALE = 2  # turns credits of 1 and 1/2 into whole-number need weights

# Every column matching needs, apart from the distance.
_SERVICE_COLUMNS = """
    s.id, s.name, s.status, s.delivery_modes, s.min_age, s.max_age, s.genders,
    s.cjs_stages, s.risk_levels, s.offence_exclusions, s.languages,
    s.interpreter_available, s.accessibility, s.evenings_only, s.capacity,
    s.places_taken, s.capacity_status, s.waiting_days, s.rating_sum, s.rating_count,
    s.referrals_received, s.referrals_accepted, s.appointments_booked,
    s.appointments_attended,
    o.name AS organisation_name, o.status = 'verified' AS organisation_verified,
    (SELECT array_agg(sn.need_code) FROM service_need sn WHERE sn.service_id = s.id)
        AS need_codes,
    (SELECT array_agg(a.code) FROM service_area sa JOIN area a ON a.id = sa.area_id
      WHERE sa.service_id = s.id) AS area_codes
"""

_SERVICES_SQL = text(
    f"""
    SELECT {_SERVICE_COLUMNS}
    FROM service s
    JOIN organisation o ON o.id = s.organisation_id
    WHERE s.id = ANY(CAST(:service_ids AS int[]))
    """
)

# Distance to a hidden location (a refuge) is rounded up to a whole kilometre, as search
# does, so that comparing exact distances from several postcodes cannot locate it. The
# nearest location (exactly; the first by id when the person's place is unknown) is where
# a referral made now is pinned.
_NAMED_SQL = text(
    f"""
    SELECT {_SERVICE_COLUMNS}, nearest.distance_m, nearest.location_id
    FROM service s
    JOIN organisation o ON o.id = s.organisation_id
    LEFT JOIN LATERAL (
        SELECT min(
            CASE WHEN l.hidden THEN ceil(here.metres / 1000) * 1000 ELSE here.metres END
        ) AS distance_m,
        (array_agg(l.id ORDER BY here.metres NULLS LAST, l.id))[1] AS location_id
        FROM service_location sl
        JOIN location l ON l.id = sl.location_id
        CROSS JOIN LATERAL (
            SELECT ST_Distance(l.point, CAST(:point AS geography), false) AS metres
        ) here
        WHERE sl.service_id = s.id
    ) nearest ON true
    WHERE s.id = ANY(CAST(:service_ids AS int[]))
    ORDER BY s.id
    """
)


@dataclass(frozen=True)
class NeedIndex:
    """The taxonomy's codes, to expand an assessed need into the service codes meeting it."""

    codes: frozenset[str]

    def meeting(self, need: str) -> Iterable[tuple[str, float]]:
        """(service need code, credit) pairs: the need itself and the categories above it
        meet it fully; its sub-needs meet it in part (see ``matching.needs``)."""
        parts = need.split(".")
        for depth in range(1, len(parts) + 1):
            yield ".".join(parts[:depth]), 1.0
        prefix = need + "."
        for code in self.codes:
            if code.startswith(prefix):
                yield code, PARTIAL_CREDIT


def need_index() -> NeedIndex:
    return NeedIndex(known_need_codes())


def need_weights(facts: AssessmentFacts, index: NeedIndex) -> tuple[NeedWeight, ...]:
    """What each service need code is worth to this person: per assessed need, the
    severity times the credit of each code meeting it, doubled so that the half credit of
    a partial match stays a whole number (search adds whole numbers up exactly)."""
    return tuple(
        NeedWeight(need=need, code=code, weight=round(severity * credit * CREDIT_SCALE))
        for need, severity in facts.assessed_needs.items()
        for code, credit in index.meeting(need)
        if severity > 0
    )


def reach_query(
    facts: AssessmentFacts, place: PersonPlace, weights: tuple[NeedWeight, ...], budget: int
) -> SearchQuery:
    """The search for the ``budget`` best-covering services that can reach the person.

    With no known place and no areas, every service meeting a need is reachable as far as
    we can tell, so the budget alone bounds the list.
    """
    limit_km = facts.constraints.max_travel_km or DEFAULT_POLICY.default_max_travel_km
    point = Point(*place.point) if place.point is not None else None
    return SearchQuery(
        point=point,
        radius_km=limit_km if point is not None else None,
        delivers_to_area=bool(place.area_ids),
        area_ids=tuple(place.area_ids),
        include_remote=not facts.constraints.no_remote,
        need_weights=weights,
        sort=Sort.NEED_COVERAGE,
        per_page=budget,
        count_facets=False,
        brief_hits=True,
    )


def _rows_to_candidates(rows: Iterable[Mapping[Any, Any]]) -> list[CandidateService]:
    candidates = []
    for row in rows:
        try:
            candidates.append(candidate_service(row))
        except ValueError as error:
            # A service whose stored figures contradict each other cannot be ranked
            # fairly; leave it out rather than fail the referrer's page.
            log.warning("Service left out of matching: %s", error)
    return candidates


def candidate_services(
    facts: AssessmentFacts,
    place: PersonPlace,
    *,
    budget: int = DEFAULT_BUDGET,
) -> list[CandidateService]:
    """The services matching should consider for ``facts`` (see the module docstring),
    the best-covering first."""
    weights = need_weights(facts, need_index())
    if not weights:
        return []
    found = find_services(reach_query(facts, place, weights, budget))
    if not found.hits:
        return []
    rows = db.session.execute(
        _SERVICES_SQL, {"service_ids": [hit.service_id for hit in found.hits]}
    ).mappings()
    by_id = {row["id"]: row for row in rows}
    return _rows_to_candidates(
        {**by_id[hit.service_id], "distance_m": _metres(hit.distance_km)}
        for hit in found.hits
        if hit.service_id in by_id  # deleted since the search index last heard of it
    )


def _metres(distance_km: float | None) -> float | None:
    return None if distance_km is None else distance_km * 1000


@dataclass(frozen=True)
class NamedServices:
    """Services asked for by id, as matching's candidates in id order, and each one's
    location nearest the person (service id -> location id; absent: no location)."""

    candidates: list[CandidateService]
    nearest_location: dict[int, int]


def named_services(service_ids: Iterable[int], place: PersonPlace) -> NamedServices:
    """These services as candidates whatever their status (for checking a referral the
    referrer asked for by id), in id order; unknown ids are left out. One query."""
    ids = sorted(set(service_ids))
    if not ids:
        return NamedServices([], {})
    rows = list(
        db.session.execute(_NAMED_SQL, {"service_ids": ids, "point": place.ewkt}).mappings()
    )
    return NamedServices(
        candidates=_rows_to_candidates(rows),
        nearest_location={
            row["id"]: row["location_id"] for row in rows if row["location_id"] is not None
        },
    )
