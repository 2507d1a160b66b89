"""The pieces under the pages: postcodes, stored answers, candidate retrieval, references."""

from __future__ import annotations

import re

import pytest

from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.matches.candidates import NeedIndex, candidate_services
from marketplace.matches.facts import PersonPlace, assessment_facts, candidate_service, person_place
from marketplace.matches.queries import suggested_reason
from marketplace.matches.services import (
    REFERENCE_ALPHABET,
    Problem,
    ReferralRefused,
    new_reference,
)
from marketplace.people.answers import assessment_answers, matching_needs
from marketplace.people.models import AssessedNeed, NeedsAssessment
from marketplace.people.postcodes import normalise
from marketplace.vocabulary import CapacityStatus
from tests.factories import AreaFactory, AssessmentFactory, PersonFactory, point, service_at
from tests.referrals.conftest import CAMDEN, READING, WESTMINSTER


@pytest.mark.parametrize(
    "typed,normalised",
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("  SW1A   1AA ", "SW1A 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("m1", "M1"),
        ("EC1A", "EC1A"),
        ("SW1A 1A", None),
        ("not a postcode", None),
        ("", None),
    ],
)
def test_postcodes_are_normalised_or_refused(typed: str, normalised: str | None) -> None:
    assert normalise(typed) == normalised


def _assessment(rows: dict[str, int], notes: dict[str, str] | None = None) -> NeedsAssessment:
    assessment = NeedsAssessment(version=1)
    assessment.needs = [
        AssessedNeed(need_code=code, severity=severity, notes=(notes or {}).get(code, ""))
        for code, severity in rows.items()
    ]
    return assessment


def test_ticked_sub_needs_replace_their_category_for_matching() -> None:
    assessment = _assessment(
        {"accommodation": 3, "accommodation.homeless": 3, "ete": 1, "health": 0}
    )
    assert matching_needs(assessment) == {"accommodation.homeless": 3, "ete": 1}


def test_sub_needs_stored_without_their_category_are_read_back_as_answers() -> None:
    answers = assessment_answers(_assessment({"ete.employment": 2, "ete.training": 1}))
    assert answers.needs["ete"].severity == 2
    assert answers.needs["ete"].specific == ("ete.employment", "ete.training")


def test_a_need_is_met_fully_by_itself_or_its_category_and_in_part_by_its_sub_needs() -> None:
    index = NeedIndex(frozenset({"ete", "ete.employment", "ete.training", "health"}))
    assert dict(index.meeting("ete")) == {"ete": 1.0, "ete.employment": 0.5, "ete.training": 0.5}
    assert dict(index.meeting("ete.employment")) == {"ete": 1.0, "ete.employment": 1.0}


def test_a_service_with_no_places_left_counts_as_having_a_waiting_list() -> None:
    service = service_at(*CAMDEN, capacity=2, places_taken=2)
    row = _row(service)
    assert candidate_service(row).capacity_status == CapacityStatus.WAITING_LIST
    row["places_taken"] = 1
    assert candidate_service(row).capacity_status == CapacityStatus.AVAILABLE


def _row(service: Service) -> dict:
    db.session.flush()
    return {
        **{c.name: getattr(service, c.name) for c in Service.__table__.columns},
        "organisation_name": service.organisation.name,
        "organisation_verified": True,
        "need_codes": [n.code for n in service.needs],
        "area_codes": [],
        "distance_m": 1000.0,
    }


def test_a_persons_place_includes_every_area_above_their_own() -> None:
    region = AreaFactory(name="Somewhere region")
    borough = AreaFactory(name="Somewhere borough", parent_id=region.id)
    person = PersonFactory(point=None, area_id=borough.id)

    place = person_place(person.id)

    assert place.area_codes == {region.code, borough.code}
    assert place.point is None


def test_a_persons_place_includes_the_areas_covering_their_point() -> None:
    person = PersonFactory(point=point(*WESTMINSTER), area_id=None)

    place = person_place(person.id)

    assert "E09000033" in place.area_codes  # Westminster, from the loaded boundaries
    assert place.point == pytest.approx(WESTMINSTER)


def _facts_for(needs: dict[str, int], **constraints: object):  # noqa: ANN202
    assessment = AssessmentFactory(
        person=PersonFactory(point=point(*WESTMINSTER)), severities=needs, **constraints
    )
    place = person_place(assessment.person_id)
    return assessment_facts(assessment, place), place


def test_candidates_are_published_verified_and_within_reach() -> None:
    near = service_at(*CAMDEN, need_codes=["accommodation"])
    far = service_at(*READING, need_codes=["accommodation"])
    far_remote = service_at(*READING, need_codes=["accommodation"], delivery_modes=["remote"])
    unrelated = service_at(*CAMDEN, need_codes=["health"])
    facts, place = _facts_for({"accommodation": 3})

    found = {c.service_id for c in candidate_services(facts, place)}

    assert near.id in found and far_remote.id in found
    assert far.id not in found and unrelated.id not in found


def test_a_far_service_delivering_to_the_persons_area_is_a_candidate() -> None:
    area = AreaFactory()
    far = service_at(*READING, need_codes=["accommodation"])
    far.areas.append(area)
    facts, _ = _facts_for({"accommodation": 3})
    place = PersonPlace(
        latitude=WESTMINSTER[0],
        longitude=WESTMINSTER[1],
        area_ids=frozenset({area.id}),
        area_codes=frozenset({area.code}),
    )
    assert far.id in {c.service_id for c in candidate_services(facts, place)}


def test_remote_services_are_not_candidates_for_someone_who_cannot_use_them() -> None:
    far_remote = service_at(*READING, need_codes=["accommodation"], delivery_modes=["remote"])
    facts, place = _facts_for({"accommodation": 3}, no_remote=True)
    assert far_remote.id not in {c.service_id for c in candidate_services(facts, place)}


def test_the_budget_keeps_the_services_meeting_the_most_need() -> None:
    housing = service_at(*CAMDEN, need_codes=["accommodation"])
    both = service_at(*READING, need_codes=["accommodation", "ete"], delivery_modes=["remote"])
    jobs = service_at(*CAMDEN, need_codes=["ete"])
    facts, place = _facts_for({"accommodation": 3, "ete": 1})

    kept = [c.service_id for c in candidate_services(facts, place, budget=2)]

    assert kept == [both.id, housing.id]
    assert jobs.id not in kept


def test_the_suggested_reason_is_the_summary_then_notes_on_the_needs_referred_for() -> None:
    assessment = _assessment(
        {"accommodation": 3, "accommodation.homeless": 3, "ete": 2},
        notes={"accommodation": "No fixed abode.", "ete": "Wants a forklift licence."},
    )
    assessment.notes = "Released Friday."
    names = {"accommodation": "Accommodation", "ete": "Education"}

    reason = suggested_reason(assessment, ["accommodation.homeless"], names)

    assert reason == "Released Friday.\n\nAccommodation: No fixed abode."


def test_without_notes_the_suggested_reason_lists_the_needs() -> None:
    assessment = _assessment({"ete.employment": 2})
    assessment.notes = ""
    reason = suggested_reason(assessment, ["ete.employment"], {"ete.employment": "Finding work"})
    assert reason == "Assessed as needing help with: Finding work (medium need)."


def test_references_are_easy_to_read_aloud() -> None:
    references = {new_reference() for _ in range(200)}
    assert len(references) == 200
    for reference in references:
        assert re.fullmatch(rf"PW-[{REFERENCE_ALPHABET}]{{6}}", reference)
    assert not set("01IO") & set(REFERENCE_ALPHABET)


@pytest.mark.parametrize(
    "codes,status",
    [
        ({"consent"}, 422),
        ({"not_eligible", "needs"}, 422),
        ({"no_places"}, 409),
        ({"already_referred", "reason"}, 409),
        ({"not_found", "no_places"}, 404),
    ],
)
def test_a_refusal_answers_with_the_status_that_fits(codes: set[str], status: int) -> None:
    refused = ReferralRefused([Problem("x", code=code, field="service") for code in codes])
    assert refused.status == status


def test_the_distance_to_a_hidden_refuge_is_rounded_up_so_it_cannot_be_triangulated() -> None:
    open_ = service_at(*CAMDEN, need_codes=["accommodation"])
    refuge = service_at(*CAMDEN, need_codes=["accommodation"])
    refuge.locations[0].hidden = True
    facts, place = _facts_for({"accommodation": 3})

    found = {c.service_id: c.distance_km for c in candidate_services(facts, place)}

    assert found[open_.id] == pytest.approx(4.2, abs=0.1)
    assert found[refuge.id] == 5.0
