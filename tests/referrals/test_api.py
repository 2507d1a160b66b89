"""``/api/v1/referrals``: the same rules as the pages, as JSON, for case-management systems."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.tokens import issue_token
from marketplace.extensions import db
from marketplace.people.models import NeedsAssessment
from marketplace.referrals.models import Referral
from tests.factories import (
    AssessmentFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
    point,
    provider_user,
    service_at,
)
from tests.referrals.conftest import CAMDEN, READING, WESTMINSTER


@pytest.fixture
def assessment(referrer: User) -> NeedsAssessment:
    person = PersonFactory(agency=referrer.agency, point=point(*WESTMINSTER))
    return AssessmentFactory(person=person, severities={"accommodation": 3, "ete": 1})


def _headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user, 'case management')}"}


def _body(assessment: NeedsAssessment, service_id: int, **changes: object) -> dict:
    return {
        "assessment_id": assessment.id,
        "service_id": service_id,
        "consent": True,
        "idempotency_key": "cms-000123-housing",
        **changes,
    }


def _referrals() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral)) or 0


def test_post_sends_a_referral_with_defaults_from_the_assessment(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"], capacity=3)

    response = client.post(
        "/api/v1/referrals", json=_body(assessment, service.id), headers=_headers(referrer)
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert body["state"] == "sent"
    assert body["reference"].startswith("PW-")
    assert body["service"] == {"id": service.id, "name": "Camden Housing"}
    assert body["need_codes"] == ["accommodation"]
    assert body["holds_place"] is True and body["on_waiting_list"] is False
    assert response.headers["Location"] == f"/api/v1/referrals/{body['id']}"


def test_a_retry_with_the_same_key_returns_the_same_referral(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    headers = _headers(referrer)

    first = client.post("/api/v1/referrals", json=_body(assessment, service.id), headers=headers)
    retry = client.post("/api/v1/referrals", json=_body(assessment, service.id), headers=headers)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json["id"] == retry.json["id"]
    assert _referrals() == 1


def test_a_key_reused_for_another_service_is_refused(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    housing = service_at(*CAMDEN, need_codes=["accommodation"])
    jobs = service_at(*CAMDEN, need_codes=["ete"])
    headers = _headers(referrer)
    client.post("/api/v1/referrals", json=_body(assessment, housing.id), headers=headers)

    response = client.post("/api/v1/referrals", json=_body(assessment, jobs.id), headers=headers)

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "idempotency_key"
    assert _referrals() == 1


def test_bad_input_gets_field_errors_not_a_500(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    response = client.post(
        "/api/v1/referrals",
        json={"assessment_id": "abc", "idempotency_key": "x"},
        headers=_headers(referrer),
    )

    assert response.status_code == 422
    fields = {error["field"]: error["message"] for error in response.json["errors"]}
    assert fields["assessment_id"] == "Enter a whole number"
    assert fields["service_id"] == "Enter the service id"
    assert fields["consent"] == "Say whether the person has agreed to be referred"
    assert fields["idempotency_key"].startswith("Idempotency key must be 8 to 64")


def test_without_consent_nothing_is_sent(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    response = client.post(
        "/api/v1/referrals",
        json=_body(assessment, service.id, consent=False),
        headers=_headers(referrer),
    )
    assert response.status_code == 422
    assert response.json["errors"] == [
        {
            "field": "consent",
            "message": "Confirm that the person has agreed to be referred",
            "code": "consent",
        }
    ]
    assert _referrals() == 0


def test_an_ineligible_service_is_refused_with_the_rule(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    far = service_at(*READING, name="Reading Housing", need_codes=["accommodation"])
    response = client.post(
        "/api/v1/referrals", json=_body(assessment, far.id), headers=_headers(referrer)
    )
    assert response.status_code == 422
    error = response.json["errors"][0]
    assert (error["field"], error["code"]) == ("service_id", "not_eligible")
    assert "Does not deliver to this area and is 36.1 miles away" in error["message"]


def test_an_open_referral_conflict_names_the_existing_referral(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    existing = ReferralFactory(person=assessment.person, service=service, referrer=referrer)
    response = client.post(
        "/api/v1/referrals", json=_body(assessment, service.id), headers=_headers(referrer)
    )
    assert response.status_code == 409
    error = response.json["errors"][0]
    assert (error["code"], error["referral_id"], error["reference"]) == (
        "already_referred",
        existing.id,
        existing.reference,
    )


def test_a_full_service_says_so_and_the_waiting_list_can_be_joined(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"], capacity=1, places_taken=1)
    headers = _headers(referrer)

    full = client.post("/api/v1/referrals", json=_body(assessment, service.id), headers=headers)
    waiting = client.post(
        "/api/v1/referrals",
        json=_body(assessment, service.id, join_waiting_list=True, idempotency_key="second-try"),
        headers=headers,
    )

    assert full.status_code == 409
    assert full.json["errors"][0]["code"] == "no_places"
    assert full.json["errors"][0]["field"] == "join_waiting_list"
    assert waiting.status_code == 201
    assert waiting.json["on_waiting_list"] is True and waiting.json["holds_place"] is False


def test_someone_elses_assessment_is_not_found(client: FlaskClient, referrer: User) -> None:
    other = AssessmentFactory()
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    response = client.post(
        "/api/v1/referrals", json=_body(other, service.id), headers=_headers(referrer)
    )
    assert response.status_code == 404
    assert response.json["errors"][0]["field"] == "assessment_id"


def test_an_unknown_service_is_not_found(
    client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    response = client.post(
        "/api/v1/referrals", json=_body(assessment, 987654), headers=_headers(referrer)
    )
    assert response.status_code == 404


def test_without_a_token_the_api_answers_401(client: FlaskClient) -> None:
    assert client.get("/api/v1/referrals").status_code == 401
    assert client.post("/api/v1/referrals", json={}).status_code == 401


@pytest.mark.parametrize("role", ["provider", Role.COMMISSIONER])
def test_only_referrers_may_send(client: FlaskClient, role: object, assessment) -> None:  # noqa: ANN001
    user = provider_user() if role == "provider" else UserFactory(role=role)
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    response = client.post(
        "/api/v1/referrals", json=_body(assessment, service.id), headers=_headers(user)
    )
    assert response.status_code == 403


def test_the_list_has_only_my_agencys_referrals(client: FlaskClient, referrer: User) -> None:
    colleague = UserFactory(agency=referrer.agency)
    mine = ReferralFactory(referrer=colleague, person=PersonFactory(agency=referrer.agency))
    ReferralFactory()  # another agency's

    response = client.get("/api/v1/referrals", headers=_headers(referrer))

    assert response.status_code == 200
    assert [r["reference"] for r in response.json] == [mine.reference]
    assert '"total": 1' in response.headers["X-Pagination"]


def test_a_provider_lists_only_its_organisations_referrals(client: FlaskClient) -> None:
    ours = ReferralFactory()
    ReferralFactory()
    provider = provider_user(ours.organisation)
    response = client.get("/api/v1/referrals", headers=_headers(provider))
    assert [r["id"] for r in response.json] == [ours.id]


def test_get_one_referral_refuses_other_agencies_with_404(
    client: FlaskClient, referrer: User
) -> None:
    mine = ReferralFactory(referrer=referrer, person=PersonFactory(agency=referrer.agency))
    theirs = ReferralFactory()
    headers = _headers(referrer)

    assert client.get(f"/api/v1/referrals/{mine.id}", headers=headers).json["id"] == mine.id
    assert client.get(f"/api/v1/referrals/{theirs.id}", headers=headers).status_code == 404


def test_the_openapi_document_describes_the_referrals_api(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/referrals"]["post"]
    assert {"200", "201", "404", "409", "422"} <= set(post["responses"])
    assert "idempotency_key" in spec["components"]["schemas"]["ReferralCreate"]["required"]
    from openapi_spec_validator import validate

    validate(spec)
