"""Candidate retrieval: which services matching should look at for an assessment.

One set-based PostgreSQL/PostGIS query, standing in for the search backend until it offers
the same (the lead swaps :func:`candidate_services` over; its contract stays). It finds
published services of verified organisations that meet at least one assessed need fully
or in part and can reach the person (delivered remotely, delivered to one of the person's
areas, or with a location within the travel limit), keeps the ``budget`` most relevant
(severity-weighted needs met, then reachable locally), and computes each one's distance
to its nearest location. Eligibility and ranking are left to ``matching``.

Why a budget: at 10,000 services a person with several common needs can have thousands of
remote candidates; ranking them all in Python would cost more than the page's time
budget. Need coverage is the strongest ranking term, so keeping the best-covering services
(local ones first among equals) keeps the services that can rank highest.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.matches.facts import PersonPlace, candidate_service
from matching import AssessmentFacts, CandidateService
from matching.eligibility import DEFAULT_POLICY

log = logging.getLogger(__name__)

DEFAULT_BUDGET = 150
PARTIAL_CREDIT = 0.5  # as matching.Weights.partial_need_credit: ordering only

# Every column matching needs, for the services chosen in ``chosen``.
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
      WHERE sa.service_id = s.id) AS area_codes,
    nearest.distance_m
"""

# Distance to a hidden location (a refuge) is rounded up to a whole kilometre, as search
# does, so that comparing exact distances from several postcodes cannot locate it.
_NEAREST = """
    LEFT JOIN LATERAL (
        SELECT min(
            CASE WHEN l.hidden
                 THEN ceil(ST_Distance(l.point, CAST(:point AS geography), false) / 1000) * 1000
                 ELSE ST_Distance(l.point, CAST(:point AS geography), false)
            END
        ) AS distance_m
        FROM service_location sl JOIN location l ON l.id = sl.location_id
        WHERE sl.service_id = s.id AND CAST(:point AS geography) IS NOT NULL
    ) nearest ON true
"""

_CANDIDATES_SQL = text(
    f"""
    WITH wanted AS (
        SELECT * FROM unnest(
            CAST(:service_codes AS text[]), CAST(:needs AS text[]), CAST(:weights AS float8[])
        ) AS w(service_code, need, weight)
    ),
    coverage AS (
        SELECT service_id, sum(best) AS need_score FROM (
            SELECT sn.service_id, w.need, max(w.weight) AS best
            FROM service_need sn JOIN wanted w ON w.service_code = sn.need_code
            GROUP BY sn.service_id, w.need
        ) per_need
        GROUP BY service_id
    ),
    -- Found once each, through the spatial and area indexes, not per service. "Nearby"
    -- is the box around the travel-limit circle: index-only and ten times cheaper than an
    -- exact distance per location, a little generous at the corners (matching's area rule
    -- then applies the exact limit).
    nearby AS MATERIALIZED (
        SELECT DISTINCT sl.service_id
        FROM location l JOIN service_location sl ON sl.location_id = l.id
        WHERE l.point && CAST(
            ST_MakeEnvelope(:west, :south, :east, :north, 4326) AS geography
        )
    ),
    in_area AS MATERIALIZED (
        SELECT DISTINCT service_id FROM service_area
        WHERE area_id = ANY(CAST(:area_ids AS int[]))
    ),
    reachable AS (
        SELECT s.id, c.need_score,
               (s.id IN (SELECT service_id FROM nearby)
                OR s.id IN (SELECT service_id FROM in_area)) AS local,
               'remote' = ANY(s.delivery_modes) AS remote
        FROM coverage c
        JOIN service s ON s.id = c.service_id
        JOIN organisation o ON o.id = s.organisation_id
        WHERE s.status = 'published' AND o.status = 'verified'
    ),
    chosen AS (
        SELECT id, need_score, local FROM reachable
        WHERE local OR (remote AND :remote_ok) OR :anywhere
        ORDER BY need_score DESC, local DESC, id
        LIMIT :budget
    )
    SELECT {_SERVICE_COLUMNS}
    FROM chosen
    JOIN service s ON s.id = chosen.id
    JOIN organisation o ON o.id = s.organisation_id
    {_NEAREST}
    ORDER BY chosen.need_score DESC, chosen.local DESC, s.id
    """
)

_NAMED_SQL = text(
    f"""
    SELECT {_SERVICE_COLUMNS}
    FROM service s
    JOIN organisation o ON o.id = s.organisation_id
    {_NEAREST}
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


KM_PER_DEGREE_LATITUDE = 111.32


def _box_around(place: PersonPlace, radius_km: float) -> dict[str, float | None]:
    """The longitude/latitude box around the circle of ``radius_km`` about the person
    (all None when their place is unknown, which matches nothing)."""
    if place.latitude is None or place.longitude is None:
        return {"west": None, "south": None, "east": None, "north": None}
    dlat = radius_km / KM_PER_DEGREE_LATITUDE
    dlon = radius_km / (KM_PER_DEGREE_LATITUDE * max(math.cos(math.radians(place.latitude)), 0.01))
    return {
        "west": place.longitude - dlon,
        "south": place.latitude - dlat,
        "east": place.longitude + dlon,
        "north": place.latitude + dlat,
    }


def need_index() -> NeedIndex:
    return NeedIndex(frozenset(db.session.scalars(text("SELECT code FROM need"))))


def _rows_to_candidates(rows: Sequence[object]) -> list[CandidateService]:
    candidates = []
    for row in rows:
        try:
            candidates.append(candidate_service(row._mapping))  # type: ignore[attr-defined]
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
    """The services matching should consider for ``facts`` (see the module docstring).

    With no known place and no areas, every service meeting a need is reachable as far as
    we can tell, so the budget alone bounds the list.
    """
    index = need_index()
    service_codes: list[str] = []
    needs: list[str] = []
    weights: list[float] = []
    for need, severity in facts.assessed_needs.items():
        for code, credit in index.meeting(need):
            service_codes.append(code)
            needs.append(need)
            weights.append(severity * credit)
    if not service_codes:
        return []
    limit_km = facts.constraints.max_travel_km or DEFAULT_POLICY.default_max_travel_km
    box = _box_around(place, limit_km)
    rows = db.session.execute(
        _CANDIDATES_SQL,
        {
            "service_codes": service_codes,
            "needs": needs,
            "weights": weights,
            "area_ids": sorted(place.area_ids),
            "point": place.ewkt,
            **box,
            "remote_ok": not facts.constraints.no_remote,
            "anywhere": place.point is None and not place.area_ids,
            "budget": budget,
        },
    ).all()
    return _rows_to_candidates(rows)


def named_services(service_ids: Iterable[int], place: PersonPlace) -> list[CandidateService]:
    """These services as candidates whatever their status (for checking a referral the
    referrer asked for by id), in id order; unknown ids are left out."""
    ids = sorted(set(service_ids))
    if not ids:
        return []
    rows = db.session.execute(_NAMED_SQL, {"service_ids": ids, "point": place.ewkt}).all()
    return _rows_to_candidates(rows)
