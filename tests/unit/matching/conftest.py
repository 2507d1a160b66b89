"""A person and a service that match, for tests to vary with ``dataclasses.replace``.

Both are frozen, so session scope is safe and hypothesis tests can use them too.
"""

import pytest

from matching import (
    AssessmentFacts,
    CandidateService,
    CapacityStatus,
    CJSStage,
    DeliveryMode,
    Gender,
    RiskLevel,
    ServiceStatus,
)

MANCHESTER = "E08000003"
SALFORD = "E08000006"


@pytest.fixture(scope="session")
def person() -> AssessmentFacts:
    """A 30-year-old man on licence in Manchester with a high accommodation need."""
    return AssessmentFacts(
        needs={"accommodation": 3, "finance": 1},
        age=30,
        gender=Gender.MALE,
        cjs_stage=CJSStage.LICENCE,
        risk_level=RiskLevel.MEDIUM,
        offences=frozenset(),
        language="en",
        point=(53.48, -2.24),
        area_codes=frozenset({MANCHESTER}),
    )


@pytest.fixture(scope="session")
def service() -> CandidateService:
    """A published, verified accommodation service in Manchester with places, 2 km away."""
    return CandidateService(
        service_id=1,
        name="Housing First Manchester",
        organisation_name="Shelter North",
        need_codes=frozenset({"accommodation"}),
        delivery_modes=frozenset({DeliveryMode.IN_PERSON}),
        status=ServiceStatus.PUBLISHED,
        organisation_verified=True,
        capacity_status=CapacityStatus.AVAILABLE,
        service_area_codes=frozenset({MANCHESTER}),
        distance_km=2.0,
    )
