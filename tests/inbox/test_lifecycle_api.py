"""The lifecycle API: same checks as the pages, JSON errors with the right status, and
every endpoint in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.tokens import issue_token
from marketplace.database import utcnow
from marketplace.referrals import lifecycle
from marketplace.referrals.models import ReferralState
from tests.factories import AppointmentFactory, provider_user
from tests.inbox.conftest import Sides


def bearer(user) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {issue_token(user, 'case system')}"}


def test_accept_through_the_api(client: FlaskClient, sides: Sides) -> None:
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/accept", headers=bearer(sides.provider)
    )
    assert response.status_code == 200
    assert response.json["state"] == "accepted"
    assert response.json["reference"] == sides.referral.reference


def test_accepting_a_declined_referral_is_a_409(client: FlaskClient, sides: Sides) -> None:
    lifecycle.decline(sides.referral, sides.provider, "no_capacity")
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/accept", headers=bearer(sides.provider)
    )
    assert response.status_code == 409
    assert response.json == {
        "errors": [
            {
                "field": None,
                "message": f"Referral {sides.referral.reference} has already been declined, so it cannot be accepted.",
            }
        ]
    }


def test_without_a_token_the_api_answers_401(client: FlaskClient, sides: Sides) -> None:
    response = client.post(f"/api/v1/referrals/{sides.referral.id}/accept")
    assert response.status_code == 401
    assert "errors" in response.json


def test_a_referrer_accepting_is_a_403(client: FlaskClient, sides: Sides) -> None:
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/accept", headers=bearer(sides.referrer)
    )
    assert response.status_code == 403


def test_another_provider_gets_a_404(client: FlaskClient, sides: Sides) -> None:
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/accept", headers=bearer(provider_user())
    )
    assert response.status_code == 404


def test_decline_needs_a_known_reason_code(client: FlaskClient, sides: Sides) -> None:
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/decline",
        json={"reason_code": "bored"},
        headers=bearer(sides.provider),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "reason_code"
    other = client.post(
        f"/api/v1/referrals/{sides.referral.id}/decline",
        json={"reason_code": "other"},
        headers=bearer(sides.provider),
    )
    assert other.status_code == 422
    assert other.json["errors"] == [{"field": "reason", "message": "Explain the reason"}]
    assert sides.referral.state == ReferralState.SENT


def test_withdraw_through_the_api(client: FlaskClient, sides: Sides) -> None:
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/withdraw",
        json={"reason_code": "person_declined"},
        headers=bearer(sides.referrer),
    )
    assert response.status_code == 200 and response.json["state"] == "withdrawn"
    assert response.json["holds_place"] is False


def test_book_list_and_record_attendance_through_the_api(client: FlaskClient, sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    headers = bearer(sides.provider)
    starts = (utcnow() + timedelta(days=2)).isoformat()
    booked = client.post(
        f"/api/v1/referrals/{sides.referral.id}/appointments",
        json={"starts_at": starts, "mode": "in_person", "location_id": sides.location.id},
        headers=headers,
    )
    assert booked.status_code == 201 and booked.json["status"] == "scheduled"
    listed = client.get(f"/api/v1/referrals/{sides.referral.id}/appointments", headers=headers)
    assert [a["id"] for a in listed.json] == [booked.json["id"]]

    future = client.post(
        f"/api/v1/referrals/{sides.referral.id}/appointments/{booked.json['id']}/attendance",
        json={"status": "attended"},
        headers=headers,
    )
    assert future.status_code == 409
    assert "has not started yet" in future.json["errors"][0]["message"]

    past = AppointmentFactory(referral=sides.referral, starts_at=utcnow() - timedelta(hours=1))
    recorded = client.post(
        f"/api/v1/referrals/{sides.referral.id}/appointments/{past.id}/attendance",
        json={"status": "did_not_attend", "absence_reason": "transport"},
        headers=headers,
    )
    assert recorded.status_code == 200 and recorded.json["absence_explained"] is True


def test_a_naive_time_is_a_422(client: FlaskClient, sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/appointments",
        json={"starts_at": "2030-01-01T10:00:00", "mode": "phone"},
        headers=bearer(sides.provider),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "starts_at"


@pytest.mark.parametrize("rating", [7, 0, "5", 4.5])
def test_a_rating_outside_one_to_five_is_a_422(
    client: FlaskClient, sides: Sides, rating: object
) -> None:
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/feedback",
        json={"rating": rating},
        headers=bearer(sides.referrer),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "rating"


def test_feedback_twice_is_a_409(client: FlaskClient, sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    lifecycle.start(sides.referral, sides.provider)
    lifecycle.complete(sides.referral, sides.provider, "met")
    headers = bearer(sides.referrer)
    path = f"/api/v1/referrals/{sides.referral.id}/feedback"
    assert client.post(path, json={"rating": 5}, headers=headers).status_code == 201
    again = client.post(path, json={"rating": 1}, headers=headers)
    assert again.status_code == 409
    assert (
        again.json["errors"][0]["message"] == "Feedback has already been given for this referral."
    )


def test_complete_without_attendance_is_a_409(client: FlaskClient, sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    response = client.post(
        f"/api/v1/referrals/{sides.referral.id}/complete",
        json={"outcome": "met"},
        headers=bearer(sides.provider),
    )
    assert response.status_code == 409


def test_every_lifecycle_endpoint_is_in_the_openapi(app: Flask, client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    paths = spec["paths"]
    for action in (
        "accept",
        "decline",
        "withdraw",
        "cancel",
        "start",
        "complete",
        "messages",
        "feedback",
    ):
        assert f"/api/v1/referrals/{{referral_id}}/{action}" in paths
    assert "/api/v1/referrals/{referral_id}/appointments/{appointment_id}/attendance" in paths
    assert "409" in paths["/api/v1/referrals/{referral_id}/accept"]["post"]["responses"]
