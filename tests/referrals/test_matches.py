"""The matches page: eligible services ranked and explained, "why not", the map."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from marketplace.accounts.models import Role, User
from marketplace.directory.models import ServiceStatus
from marketplace.organisations.models import VerificationStatus
from marketplace.people.models import AssessmentStatus, NeedsAssessment
from tests.factories import (
    AssessmentFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
    point,
    provider_user,
    service_at,
)
from tests.helpers import sign_in
from tests.referrals.conftest import CAMDEN, READING, WESTMINSTER


@pytest.fixture
def assessment(referrer: User) -> NeedsAssessment:
    person = PersonFactory(agency=referrer.agency, point=point(*WESTMINSTER), age=30, gender="male")
    return AssessmentFactory(
        person=person, severities={"accommodation.homeless": 3, "ete.employment": 2}
    )


def _matches_page(client: FlaskClient, assessment: NeedsAssessment) -> str:
    response = client.get(f"/assessments/{assessment.id}/matches")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_matches_are_ranked_and_each_explains_its_score(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    both = service_at(*CAMDEN, name="Both Needs Hub", need_codes=["accommodation", "ete"])
    one = service_at(*WESTMINSTER, name="Housing Only", need_codes=["accommodation.homeless"])

    page = _matches_page(referrer_client, assessment)

    assert page.index("Both Needs Hub") < page.index("Housing Only")
    assert "Covers 1 of 1 high need and 1 of 1 other need · 2.6 miles · places available" in page
    assert "Covers 1 of 1 high need and 0 of 1 other need · under 0.1 miles" in page
    assert f"/assessments/{assessment.id}/refer?service={both.id}" in page
    assert f"/assessments/{assessment.id}/refer?service={one.id}" in page


def test_refused_services_say_exactly_which_rule_excludes_them(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service_at(*CAMDEN, name="Women's Housing", need_codes=["accommodation"], genders=["female"])
    service_at(*READING, name="Reading Housing", need_codes=["accommodation"])

    page = _matches_page(referrer_client, assessment)

    assert "No service matches these needs yet" in page
    assert "Accepts female people only; this person&#39;s gender is recorded as male" in page
    # Reading is 58 km away: beyond the travel limit and not delivering to their area.
    assert "Services that did not match" in page
    assert "Reading Housing" not in page.split("Services that did not match")[0]


def test_a_far_remote_service_is_a_match_scored_on_fit(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service_at(
        *READING,
        name="Phone Housing Advice",
        need_codes=["accommodation"],
        delivery_modes=["remote"],
    )
    page = _matches_page(referrer_client, assessment)
    assert "Phone Housing Advice" in page
    assert "remote, or 36.1 miles" in page


def test_why_not_shows_every_rule_a_service_fails(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(
        *READING, name="Youth Housing", need_codes=["accommodation"], min_age=16, max_age=25
    )

    response = referrer_client.get(f"/assessments/{assessment.id}/services/{service.id}")

    page = response.get_data(as_text=True)
    assert "Accepts ages 16 to 25; this person is 30" in page
    assert "Does not deliver to this area and is 36.1 miles away" in page


def test_services_not_taking_referrals_are_never_matches(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    paused = service_at(
        *CAMDEN, name="Paused Housing", need_codes=["accommodation"], status=ServiceStatus.PAUSED
    )
    unverified = service_at(
        *CAMDEN,
        name="Unverified Housing",
        need_codes=["accommodation"],
        organisation=OrganisationFactory(status=VerificationStatus.PENDING),
    )
    draft = service_at(
        *CAMDEN, name="Draft Housing", need_codes=["accommodation"], status=ServiceStatus.DRAFT
    )

    page = _matches_page(referrer_client, assessment)

    for name in ("Paused Housing", "Unverified Housing", "Draft Housing"):
        assert name not in page
    why = f"/assessments/{assessment.id}/services"
    # A paused service is listed in the directory: it can say why it cannot take referrals.
    assert "Paused by the provider" in referrer_client.get(f"{why}/{paused.id}").get_data(
        as_text=True
    )
    # Drafts and services of unverified organisations are not listed: not found.
    for hidden in (draft, unverified):
        assert referrer_client.get(f"{why}/{hidden.id}").status_code == 404
        refer = f"/assessments/{assessment.id}/refer?service={hidden.id}"
        assert referrer_client.get(refer).status_code == 404


def test_a_service_with_no_places_left_is_shown_with_its_waiting_list(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service_at(
        *CAMDEN, name="Full Hostel", need_codes=["accommodation"], capacity=3, places_taken=3
    )
    page = _matches_page(referrer_client, assessment)
    assert "Full Hostel" in page
    assert "Has a waiting list" in page


def test_the_map_numbers_the_same_services_as_the_list_and_hides_refuges(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service_at(*CAMDEN, name="Open Hub", need_codes=["accommodation"])
    refuge = service_at(*WESTMINSTER, name="Refuge", need_codes=["accommodation"])
    refuge.locations[0].hidden = True

    page = _matches_page(referrer_client, assessment)

    data = json.loads(
        re.search(r'id="match-map-data">(.*?)</script>', page, re.S).group(1)  # type: ignore[union-attr]
    )
    assert [m["name"] for m in data["markers"]] == ["Open Hub"]
    number = data["markers"][0]["number"]
    assert re.search(rf'aria-hidden="true">{number}</span>.*?Open Hub', page, re.S)
    assert "address not shown" in page
    assert data["person"] == {
        "lat": pytest.approx(WESTMINSTER[0]),
        "lon": pytest.approx(WESTMINSTER[1]),
    }


def test_an_already_referred_service_links_to_the_referral_instead_of_refer(
    referrer_client: FlaskClient, assessment: NeedsAssessment, referrer: User
) -> None:
    service = service_at(*CAMDEN, name="Open Hub", need_codes=["accommodation"])
    existing = ReferralFactory(person=assessment.person, service=service, referrer=referrer)

    page = _matches_page(referrer_client, assessment)

    assert "Already referred:" in page
    assert f'href="/referrals/{existing.id}">{existing.reference}</a>' in page
    assert f"refer?service={service.id}" not in page


def test_a_draft_assessment_goes_back_to_its_form(
    referrer_client: FlaskClient, referrer: User
) -> None:
    draft = AssessmentFactory(
        person=PersonFactory(agency=referrer.agency), status=AssessmentStatus.DRAFT
    )
    response = referrer_client.get(f"/assessments/{draft.id}/matches")
    assert response.headers["Location"] == f"/assessments/{draft.id}/edit"


def test_a_replaced_assessment_points_to_the_current_one(
    referrer_client: FlaskClient, referrer: User
) -> None:
    person = PersonFactory(agency=referrer.agency)
    old = AssessmentFactory(person=person, status=AssessmentStatus.SUPERSEDED)
    current = AssessmentFactory(person=person, version=2)
    page = referrer_client.get(f"/assessments/{old.id}/matches").get_data(as_text=True)
    assert "This assessment has been replaced" in page
    assert f"/assessments/{current.id}/matches" in page


def test_another_agencys_matches_are_not_found(
    referrer_client: FlaskClient,
) -> None:
    other = AssessmentFactory()
    assert referrer_client.get(f"/assessments/{other.id}/matches").status_code == 404


@pytest.mark.parametrize("role", ["provider", Role.COMMISSIONER, Role.PLATFORM_ADMIN])
def test_only_referrers_see_matches(client: FlaskClient, role: object) -> None:
    assessment = AssessmentFactory()
    user = provider_user() if role == "provider" else UserFactory(role=role)
    sign_in(client, user.email)
    assert client.get(f"/assessments/{assessment.id}/matches").status_code == 403
