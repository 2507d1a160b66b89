"""The input dataclasses refuse contradictory values and cannot change after construction."""

from dataclasses import replace

import pytest

from matching import AssessmentFacts, Constraints, Gender


@pytest.mark.parametrize("severity", [-1, 4])
def test_severity_outside_zero_to_three_is_rejected(severity):
    with pytest.raises(ValueError, match="severity of 'finance' must be 0 to 3"):
        AssessmentFacts(needs={"finance": severity})


def test_negative_age_is_rejected():
    with pytest.raises(ValueError, match="age must not be negative"):
        AssessmentFacts(needs={}, age=-1)


def test_needs_are_copied_and_read_only():
    needs = {"finance": 2}
    facts = AssessmentFacts(needs=needs)
    needs["finance"] = 3

    assert facts.needs == {"finance": 2}
    with pytest.raises(TypeError):
        facts.needs["finance"] = 3  # type: ignore[index]


def test_assessed_needs_leave_out_severity_zero():
    facts = AssessmentFacts(needs={"finance": 0, "accommodation": 3})

    assert facts.assessed_needs == {"accommodation": 3}


def test_facts_are_hashable_despite_holding_a_mapping(person):
    assert hash(person) == hash(replace(person))


def test_remote_only_and_no_remote_together_are_rejected():
    with pytest.raises(ValueError, match="remote-only"):
        Constraints(remote_only=True, no_remote=True)


@pytest.mark.parametrize("max_travel_km", [0.0, -5.0])
def test_travel_limit_must_be_positive(max_travel_km):
    with pytest.raises(ValueError, match="max_travel_km must be positive"):
        Constraints(max_travel_km=max_travel_km)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"referrals_received": 3, "referrals_accepted": 4},
            "more referrals accepted than received",
        ),
        ({"appointments_booked": 1, "appointments_attended": 2}, "more appointments attended"),
        ({"rating_count": 2, "rating_sum": 11.0}, "average rating must be between 1 and 5"),
        ({"rating_count": 2, "rating_sum": 1.0}, "average rating must be between 1 and 5"),
        ({"rating_count": 0, "rating_sum": 4.0}, "average rating must be between 1 and 5"),
        ({"min_age": 26, "max_age": 18}, "min_age is above max_age"),
        ({"places_taken": -1}, "places_taken must not be negative"),
        ({"capacity": -1}, "capacity must not be negative"),
        ({"distance_km": -0.5}, "distance_km must not be negative"),
        (
            {"women_only": True, "genders": frozenset({Gender.MALE})},
            "women-only but does not accept female people",
        ),
    ],
)
def test_contradictory_service_figures_are_rejected(service, changes, problem):
    with pytest.raises(ValueError, match=f"Service 1: {problem}"):
        replace(service, **changes)


def test_service_listing_no_languages_offers_english(service):
    assert service.offered_languages == {"en"}
    assert replace(service, languages=frozenset({"cy"})).offered_languages == {"cy"}
