"""The OpenAPI document describes the errors the API really answers.

Every error response the document gives (and each operation's ``default``) is the API's
one error shape, ``{"errors": [{"field": ..., "message": ...}]}``, never flask-smorest's
generic ``{"code", "status", "message"}``; each operation documents the statuses it can
answer; and real error responses of every status, from every API blueprint, validate
against the schema the document gives for that operation and status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from marketplace.accounts.models import Role, User
from marketplace.accounts.tokens import issue_token
from marketplace.database import utcnow
from marketplace.referrals import lifecycle, services
from marketplace.referrals.models import Referral
from tests.factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)
from tests.helpers import assert_matches_openapi, openapi_response_schema

API_ERROR_STATUSES = {"400", "401", "403", "404", "409", "422", "429", "default"}


@pytest.fixture
def openapi(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_documented_error_is_the_apis_error_shape(openapi: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation in operations(openapi):
        for status in set(operation["responses"]) & API_ERROR_STATUSES:
            schema = openapi_response_schema(openapi, path, status, method)
            where = f"{method.upper()} {path} {status}: {schema}"
            assert schema.get("required") == ["errors"], where
            item = schema["properties"]["errors"]["items"]
            assert {"field", "message"} <= set(item["required"]), where
            assert item["properties"]["field"]["nullable"] is True, where
            checked += 1
    assert checked > 50
    assert "Error" not in openapi["components"]["schemas"]  # flask-smorest's own shape


def test_each_operation_documents_the_errors_it_can_answer(openapi: dict[str, Any]) -> None:
    for path, method, operation in operations(openapi):
        documented = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if operation.get("security") == [{"bearerAuth": []}]:
            assert {"401", "403"} <= documented, where
        if "requestBody" in operation:
            assert {"400", "422"} <= documented, where
        if path.startswith("/api/v1/services"):
            assert "429" in documented, where  # rate limited, and public
    bearer_paths = {p for p, _m, op in operations(openapi) if op.get("security")}
    assert bearer_paths >= {
        "/api/v1/referrals",
        "/api/v1/referrals/{referral_id}/accept",
        "/api/v1/organisations/{organisation_id}/capacity",
    }


@dataclass
class Sides:
    referral: Referral
    provider: User
    referrer: User


@pytest.fixture
def sides() -> Sides:
    organisation = OrganisationFactory()
    service = ServiceFactory(organisation=organisation, capacity=5, places_taken=1)
    person = PersonFactory()
    referrer = UserFactory(role=Role.REFERRER, agency=person.agency)
    referral = ReferralFactory(service=service, person=person, referrer=referrer, holds_place=True)
    return Sides(referral, provider_user(organisation), referrer)


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user, 'case system')}"}


@dataclass(frozen=True)
class Case:
    """One real error: the documented operation, the status, and how to provoke it."""

    path: str
    method: str
    status: int
    call: Callable[[FlaskClient, Sides], TestResponse]


def _not_json(client: FlaskClient, sides: Sides) -> TestResponse:
    return client.post(
        "/api/v1/referrals",
        data="{not json",
        content_type="application/json",
        headers=bearer(sides.referrer),
    )


def _capacity_not_json(client: FlaskClient, sides: Sides) -> TestResponse:
    organisation_id = sides.referral.organisation_id
    return client.put(
        f"/api/v1/organisations/{organisation_id}/capacity",
        data="[",
        content_type="application/json",
        headers=bearer(sides.provider),
    )


def _stale_capacity(client: FlaskClient, sides: Sides) -> TestResponse:
    body = {"services": [{"service_id": sides.referral.service_id, "capacity": 4, "version": 9}]}
    return client.put(
        f"/api/v1/organisations/{sides.referral.organisation_id}/capacity",
        json=body,
        headers=bearer(sides.provider),
    )


def _accept_declined(client: FlaskClient, sides: Sides) -> TestResponse:
    lifecycle.decline(sides.referral, sides.provider, "no_capacity")
    return client.post(
        f"/api/v1/referrals/{sides.referral.id}/accept", headers=bearer(sides.provider)
    )


def _correction(
    body: dict[str, Any], *, record: bool
) -> Callable[[FlaskClient, Sides], TestResponse]:
    """Correct the attendance of a past appointment on the accepted referral (recorded
    as attended first, if ``record``)."""

    def call(client: FlaskClient, s: Sides) -> TestResponse:
        lifecycle.accept(s.referral, s.provider)
        appointment = AppointmentFactory(
            referral=s.referral, starts_at=utcnow() - timedelta(hours=1)
        )
        if record:
            services.record_attendance(appointment, s.provider, status="attended")
        return client.post(
            f"/api/v1/referrals/{s.referral.id}/appointments/{appointment.id}"
            "/attendance/correction",
            json=body,
            headers=bearer(s.provider),
        )

    return call


CORRECTION = "/api/v1/referrals/{referral_id}/appointments/{appointment_id}/attendance/correction"

CASES = [
    Case("/api/v1/referrals", "post", 400, _not_json),
    Case("/api/v1/organisations/{organisation_id}/capacity", "put", 400, _capacity_not_json),
    Case("/api/v1/referrals", "get", 401, lambda client, _s: client.get("/api/v1/referrals")),
    Case(
        "/api/v1/referrals/{referral_id}/accept",
        "post",
        403,
        lambda client, s: client.post(
            f"/api/v1/referrals/{s.referral.id}/accept", headers=bearer(s.referrer)
        ),
    ),
    Case(
        "/api/v1/referrals/{referral_id}",
        "get",
        404,
        lambda client, s: client.get("/api/v1/referrals/999999", headers=bearer(s.referrer)),
    ),
    Case(
        "/api/v1/organisations/{organisation_id}/capacity",
        "put",
        404,
        lambda client, s: client.put(
            f"/api/v1/organisations/{OrganisationFactory().id}/capacity",
            json={"services": [{"service_id": 1, "capacity": 1}]},
            headers=bearer(s.provider),
        ),
    ),
    Case("/api/v1/organisations/{organisation_id}/capacity", "put", 409, _stale_capacity),
    Case("/api/v1/referrals/{referral_id}/accept", "post", 409, _accept_declined),
    Case(
        "/api/v1/referrals/{referral_id}/decline",
        "post",
        422,
        lambda client, s: client.post(
            f"/api/v1/referrals/{s.referral.id}/decline",
            json={"reason_code": "bored"},
            headers=bearer(s.provider),
        ),
    ),
    Case(
        "/api/v1/referrals",
        "post",
        422,
        lambda client, s: client.post(
            "/api/v1/referrals", json={"consent": "perhaps"}, headers=bearer(s.referrer)
        ),
    ),
    Case(
        "/api/v1/referrals",
        "get",
        422,
        lambda client, s: client.get("/api/v1/referrals?page=0", headers=bearer(s.referrer)),
    ),
    Case(
        "/api/v1/services",
        "get",
        422,
        lambda client, _s: client.get("/api/v1/services?proximity=-5"),
    ),
    Case(
        CORRECTION,
        "post",
        409,
        _correction({"status": "late", "reason": "Came late"}, record=False),
    ),
    Case(
        CORRECTION,
        "post",
        422,
        _correction({"status": "late"}, record=True),
    ),
    Case(
        "/api/v1/services/{service_id}",
        "get",
        404,
        lambda client, _s: client.get("/api/v1/services/999999"),
    ),
]


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.status}-{c.method}-{c.path.removeprefix('/api/v1/')}"
)
def test_a_real_error_matches_its_documented_schema(
    client: FlaskClient, openapi: dict[str, Any], sides: Sides, case: Case
) -> None:
    response = case.call(client, sides)

    assert response.status_code == case.status, response.get_json()
    assert response.get_json()["errors"][0]["message"]
    assert_matches_openapi(openapi, case.path, case.status, response.get_json(), case.method)


def test_a_real_rate_limit_matches_its_documented_schema(
    app: Flask, client: FlaskClient, openapi: dict[str, Any]
) -> None:
    app.config["SEARCH_API_RATE_LIMIT"] = "1 per minute"
    try:
        responses = [client.get("/api/v1/services/999999") for _ in range(2)]
    finally:
        app.config["SEARCH_API_RATE_LIMIT"] = "120 per minute"

    assert [r.status_code for r in responses] == [404, 429]
    assert_matches_openapi(openapi, "/api/v1/services/{service_id}", 429, responses[1].get_json())
