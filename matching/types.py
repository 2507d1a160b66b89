"""The plain inputs of matching: what is known about a person and about a candidate service.

These are frozen dataclasses built by the caller (the marketplace) from its models; matching
never touches a database. Enumerations are ``StrEnum`` whose values are the stored strings,
so a value read from the database compares equal to the member (``"low" == RiskLevel.LOW``).

Need codes are dotted: ``"accommodation"`` is a category and ``"accommodation.homeless"`` one
of its sub-needs (see :mod:`matching.needs` for what "meets" means between them).
Distances are kilometres everywhere inside matching; only messages for people show miles.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MAX_SEVERITY = 3
"""Needs are assessed 0 (no need) to 3 (high need)."""


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"


class CJSStage(enum.StrEnum):
    """Where the person is in the criminal-justice system."""

    OUT_OF_COURT = "out_of_court"
    PRE_CHARGE = "pre_charge"
    COURT = "court"
    COMMUNITY_ORDER = "community_order"
    LICENCE = "licence"
    CUSTODY = "custody"
    VICTIM = "victim"


class RiskLevel(enum.StrEnum):
    """Risk of serious harm as assessed by probation (OASys RoSH levels)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


class DeliveryMode(enum.StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"
    OUTREACH = "outreach"


class ServiceStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"


class CapacityStatus(enum.StrEnum):
    """Whether a service can take people now, in the HL7 closed-loop referral terms."""

    AVAILABLE = "available"
    WAITING_LIST = "waiting_list"
    FULL = "full"


@dataclass(frozen=True, kw_only=True)
class Constraints:
    """What the person can and cannot do, from the needs assessment.

    ``remote_only``: can take part by phone or video only (e.g. a licence condition or
    caring duties). ``no_remote``: cannot take part remotely (no phone or internet access).
    ``max_travel_km``: how far the person can travel; ``None`` means the policy default.

    Raises ``ValueError`` when ``remote_only`` and ``no_remote`` are both set, or when
    ``max_travel_km`` is not positive.
    """

    remote_only: bool = False
    no_remote: bool = False
    women_only: bool = False
    no_evenings: bool = False
    max_travel_km: float | None = None

    def __post_init__(self) -> None:
        if self.remote_only and self.no_remote:
            raise ValueError("A person cannot be both remote-only and unable to use remote")
        if self.max_travel_km is not None and self.max_travel_km <= 0:
            raise ValueError(f"max_travel_km must be positive, got {self.max_travel_km}")


@dataclass(frozen=True, kw_only=True)
class AssessmentFacts:
    """What one needs assessment says about a person, as matching needs it.

    ``None`` (and, for ``offences``, ``None`` rather than an empty set) means *not known*:
    an unknown fact never excludes a service, it is reported as a caveat instead.
    ``offences`` is a set of offence category codes; the empty set means no offences
    (for example a victim). ``point`` is ``(latitude, longitude)``; the caller computes each
    service's distance from it. ``area_codes`` are the GSS codes of the local authority,
    region and police force area the person lives in. ``needs`` maps need code to severity
    0–3; severity 0 means assessed as no need.

    Raises ``ValueError`` for a severity outside 0–3 or a negative age. ``needs`` is copied
    into a read-only mapping, so the facts cannot change after construction.
    """

    needs: Mapping[str, int] = field(hash=False)
    age: int | None = None
    gender: Gender | None = None
    cjs_stage: CJSStage | None = None
    risk_level: RiskLevel | None = None
    offences: frozenset[str] | None = None
    language: str | None = None
    accessibility_needs: frozenset[str] = frozenset()
    point: tuple[float, float] | None = None
    area_codes: frozenset[str] = frozenset()
    constraints: Constraints = Constraints()

    def __post_init__(self) -> None:
        if self.age is not None and self.age < 0:
            raise ValueError(f"age must not be negative, got {self.age}")
        for need_code, severity in self.needs.items():
            if not 0 <= severity <= MAX_SEVERITY:
                raise ValueError(f"severity of {need_code!r} must be 0 to 3, got {severity}")
        object.__setattr__(self, "needs", MappingProxyType(dict(self.needs)))

    @property
    def assessed_needs(self) -> dict[str, int]:
        """The needs with severity 1 or more, the ones a service can meet."""
        return {code: severity for code, severity in self.needs.items() if severity > 0}


@dataclass(frozen=True, kw_only=True)
class CandidateService:
    """One published-or-not service as a candidate for a person, with its track record.

    Empty ``genders``, ``cjs_stages`` and ``risk_levels`` mean the service accepts everyone.
    Empty ``languages`` means English only; ``interpreter_available`` means the service
    arranges an interpreter for any language. ``distance_km`` is from the person to the
    service's nearest in-person location, computed by the caller (PostGIS); ``None`` when
    either has no location. ``capacity`` is the number of places (``None``: no set limit);
    ``capacity_status`` is the provider's own statement and is what eligibility trusts.
    ``rating_sum``/``rating_count`` are over 1–5 star ratings.

    Raises ``ValueError`` when the counts contradict each other (negative counts, more
    accepted than received, more attended than booked, an average rating outside 1–5,
    ``min_age`` above ``max_age``, women-only without accepting female people).
    """

    service_id: int
    name: str
    organisation_name: str
    need_codes: frozenset[str]
    delivery_modes: frozenset[DeliveryMode]
    status: ServiceStatus
    organisation_verified: bool
    capacity_status: CapacityStatus
    min_age: int | None = None
    max_age: int | None = None
    genders: frozenset[Gender] = frozenset()
    women_only: bool = False
    cjs_stages: frozenset[CJSStage] = frozenset()
    risk_levels: frozenset[RiskLevel] = frozenset()
    offence_exclusions: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    interpreter_available: bool = False
    accessibility: frozenset[str] = frozenset()
    service_area_codes: frozenset[str] = frozenset()
    distance_km: float | None = None
    evenings_only: bool = False
    capacity: int | None = None
    places_taken: int = 0
    waiting_days: int | None = None
    rating_sum: float = 0.0
    rating_count: int = 0
    referrals_received: int = 0
    referrals_accepted: int = 0
    appointments_booked: int = 0
    appointments_attended: int = 0

    def __post_init__(self) -> None:
        for problem in self._contradictions():
            raise ValueError(f"Service {self.service_id}: {problem}")

    def _contradictions(self) -> list[str]:
        problems = []
        counts = {
            "places_taken": self.places_taken,
            "rating_count": self.rating_count,
            "referrals_received": self.referrals_received,
            "referrals_accepted": self.referrals_accepted,
            "appointments_booked": self.appointments_booked,
            "appointments_attended": self.appointments_attended,
            "capacity": self.capacity or 0,
            "waiting_days": self.waiting_days or 0,
        }
        problems += [f"{name} must not be negative" for name, n in counts.items() if n < 0]
        if self.distance_km is not None and self.distance_km < 0:
            problems.append("distance_km must not be negative")
        if self.referrals_accepted > self.referrals_received:
            problems.append("more referrals accepted than received")
        if self.appointments_attended > self.appointments_booked:
            problems.append("more appointments attended than booked")
        if not self.rating_count * 1 <= self.rating_sum <= self.rating_count * 5:
            problems.append("average rating must be between 1 and 5")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            problems.append("min_age is above max_age")
        if self.women_only and self.genders and Gender.FEMALE not in self.genders:
            problems.append("women-only but does not accept female people")
        return problems

    @property
    def offered_languages(self) -> frozenset[str]:
        """The languages the service delivers in; English when none are listed."""
        return self.languages or frozenset({"en"})

    @property
    def offers_remote(self) -> bool:
        return DeliveryMode.REMOTE in self.delivery_modes
