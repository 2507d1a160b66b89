"""From our models to matching's plain inputs: a person's place, assessment facts, services.

``matching`` never sees the database; this module is the one translation between the two,
so a change to either side is made here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.people.answers import matching_needs
from marketplace.people.models import NeedsAssessment
from marketplace.vocabulary import CapacityStatus
from matching import AssessmentFacts, CandidateService, Constraints
from matching.types import CJSStage, DeliveryMode, Gender, RiskLevel, ServiceStatus


@dataclass(frozen=True)
class PersonPlace:
    """Where the person is: their point as (latitude, longitude) and EWKT, and the areas
    they are in (their local authority and every area above it or whose boundary covers
    their point)."""

    latitude: float | None
    longitude: float | None
    area_ids: frozenset[int]
    area_codes: frozenset[str]

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    @property
    def ewkt(self) -> str | None:
        if self.point is None:
            return None
        return f"SRID=4326;POINT({self.longitude} {self.latitude})"


_PLACE_SQL = text(
    """
    WITH RECURSIVE person_point AS (
        SELECT point::geometry AS point, area_id FROM person WHERE id = :person_id
    ),
    here AS (
        SELECT area.id, area.code, area.parent_id
        FROM area, person_point
        WHERE area.id = person_point.area_id
           OR (area.boundary IS NOT NULL AND ST_Covers(area.boundary, person_point.point))
        UNION
        SELECT parent.id, parent.code, parent.parent_id
        FROM area parent JOIN here ON parent.id = here.parent_id
    )
    SELECT ST_Y(point) AS latitude, ST_X(point) AS longitude,
           (SELECT array_agg(id) FROM here) AS area_ids,
           (SELECT array_agg(code) FROM here) AS area_codes
    FROM person_point
    """
)


def person_place(person_id: int) -> PersonPlace:
    """The person's place (unknown parts empty). One query."""
    row = db.session.execute(_PLACE_SQL, {"person_id": person_id}).one()
    return PersonPlace(
        latitude=row.latitude,
        longitude=row.longitude,
        area_ids=frozenset(row.area_ids or ()),
        area_codes=frozenset(row.area_codes or ()),
    )


def assessment_facts(assessment: NeedsAssessment, place: PersonPlace) -> AssessmentFacts:
    """What matching needs to know from one assessment and its person."""
    person = assessment.person
    return AssessmentFacts(
        needs=matching_needs(assessment),
        age=person.current_age,
        gender=Gender(person.gender) if person.gender else None,
        cjs_stage=CJSStage(person.cjs_stage) if person.cjs_stage else None,
        risk_level=RiskLevel(person.risk_level) if person.risk_level else None,
        offences=frozenset(person.offences) if person.offences_known else None,
        language=person.language or None,
        accessibility_needs=frozenset(person.accessibility_needs or ()),
        point=place.point,
        area_codes=place.area_codes,
        constraints=Constraints(
            remote_only=assessment.remote_only,
            no_remote=assessment.no_remote,
            women_only=assessment.women_only,
            no_evenings=assessment.no_evenings,
            max_travel_km=float(assessment.max_travel_km) if assessment.max_travel_km else None,
        ),
    )


def _capacity_status(row: Mapping[str, Any]) -> CapacityStatus:
    """The provider's stated status, except that a service counting places with none
    left is treated as having a waiting list: a referral can still join the list."""
    status = CapacityStatus(row["capacity_status"])
    capacity = row["capacity"]
    if (
        status == CapacityStatus.AVAILABLE
        and capacity is not None
        and row["places_taken"] >= capacity
    ):
        return CapacityStatus.WAITING_LIST
    return status


def candidate_service(row: Mapping[str, Any]) -> CandidateService:
    """A service row from :mod:`marketplace.matches.candidates` as matching's input."""
    distance_m = row["distance_m"]
    return CandidateService(
        service_id=row["id"],
        name=row["name"],
        organisation_name=row["organisation_name"],
        need_codes=frozenset(row["need_codes"] or ()),
        delivery_modes=frozenset(DeliveryMode(mode) for mode in row["delivery_modes"]),
        status=ServiceStatus(row["status"]),
        organisation_verified=row["organisation_verified"],
        capacity_status=_capacity_status(row),
        min_age=row["min_age"],
        max_age=row["max_age"],
        genders=frozenset(Gender(g) for g in row["genders"]),
        cjs_stages=frozenset(CJSStage(s) for s in row["cjs_stages"]),
        risk_levels=frozenset(RiskLevel(r) for r in row["risk_levels"]),
        offence_exclusions=frozenset(row["offence_exclusions"]),
        languages=frozenset(row["languages"]),
        interpreter_available=row["interpreter_available"],
        accessibility=frozenset(row["accessibility"]),
        service_area_codes=frozenset(row["area_codes"] or ()),
        distance_km=None if distance_m is None else distance_m / 1000,
        evenings_only=row["evenings_only"],
        capacity=row["capacity"],
        places_taken=row["places_taken"],
        waiting_days=row["waiting_days"],
        rating_sum=float(row["rating_sum"]),
        rating_count=row["rating_count"],
        referrals_received=row["referrals_received"],
        referrals_accepted=row["referrals_accepted"],
        appointments_booked=row["appointments_booked"],
        appointments_attended=row["appointments_attended"],
    )
