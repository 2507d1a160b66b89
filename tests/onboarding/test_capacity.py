"""The quick capacity update: one page for every service, and the API."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace.accounts.tokens import issue_token
from marketplace.directory.services import change_service
from marketplace.extensions import db
from marketplace.vocabulary import CapacityStatus
from tests.factories import OrganisationFactory, ServiceFactory, provider_user
from tests.helpers import post_form, sign_in


@pytest.fixture
def setup(client: FlaskClient):  # noqa: ANN201
    user = provider_user()
    organisation = user.memberships[0].organisation
    first = ServiceFactory(organisation=organisation, name="A housing", capacity=10)
    second = ServiceFactory(organisation=organisation, name="B mentoring", capacity=None)
    return user, organisation, first, second


def rows(first, second, **overrides) -> dict:  # noqa: ANN001
    data = {
        "rows-0-service_id": str(first.id),
        "rows-0-version": str(first.version),
        "rows-0-capacity": "8",
        "rows-0-capacity_status": "available",
        "rows-0-waiting_days": "3",
        "rows-1-service_id": str(second.id),
        "rows-1-version": str(second.version),
        "rows-1-capacity": "",
        "rows-1-capacity_status": "waiting_list",
        "rows-1-waiting_days": "21",
    }
    data.update(overrides)
    return data


def test_every_service_is_saved_in_one_submit(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, second = setup
    sign_in(client, user.email)
    page = client.get(f"/organisations/{organisation.id}/capacity").get_data(as_text=True)
    assert "A housing" in page and "B mentoring" in page
    response = post_form(client, f"/organisations/{organisation.id}/capacity", rows(first, second))
    assert response.status_code == 302
    assert (first.capacity, first.waiting_days, first.version) == (8, 3, 2)
    assert (second.capacity, second.capacity_status, second.waiting_days) == (
        None,
        CapacityStatus.WAITING_LIST,
        21,
    )
    assert first.capacity_updated_at is not None


def test_one_bad_row_saves_nothing(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, second = setup
    sign_in(client, user.email)
    response = post_form(
        client,
        f"/organisations/{organisation.id}/capacity",
        rows(first, second, **{"rows-1-waiting_days": "-2"}),
    )
    assert response.status_code == 400
    assert "Waiting time must be between 0 and 3,650 days" in response.get_data(as_text=True)
    assert 'href="#rows-1-waiting_days"' in response.get_data(as_text=True)
    assert (first.capacity, first.version) == (10, 1)


def test_a_stale_row_is_refused_and_nothing_is_saved(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, second = setup
    sign_in(client, user.email)
    stale = rows(first, second)
    change_service(second, {"waiting_days": 99}, user, expected_version=1)
    response = post_form(client, f"/organisations/{organisation.id}/capacity", stale)
    assert response.status_code == 409
    assert "This service was changed by someone else" in response.get_data(as_text=True)
    assert (first.capacity, first.version) == (10, 1)
    assert second.waiting_days == 99


def test_another_organisations_capacity_page_is_not_found(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, *_ = setup
    sign_in(client, user.email)
    assert client.get(f"/organisations/{OrganisationFactory().id}/capacity").status_code == 404


# The API -------------------------------------------------------------------------------


def put(client: FlaskClient, organisation_id: int, token: str | None, body: dict):  # noqa: ANN201
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.put(
        f"/api/v1/organisations/{organisation_id}/capacity", json=body, headers=headers
    )


def test_api_updates_only_the_fields_sent(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, second = setup
    first.waiting_days = 5
    token = issue_token(user, "case system")
    response = put(
        client,
        organisation.id,
        token,
        {
            "services": [
                {"service_id": first.id, "places_available": 0},
                {
                    "service_id": second.id,
                    "capacity_status": "waiting_list",
                    "waiting_days": 30,
                    "version": 1,
                },
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["services"]
    assert body[0] == {
        "service_id": first.id,
        "capacity": 0,
        "places_available": 0,
        "capacity_status": "full",
        "waiting_days": 5,
        "version": 2,
    }
    assert body[1]["capacity_status"] == "waiting_list" and body[1]["capacity"] is None


def test_api_stale_version_is_409_and_nothing_is_saved(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, second = setup
    token = issue_token(user, "case system")
    response = put(
        client,
        organisation.id,
        token,
        {
            "services": [
                {"service_id": first.id, "capacity": 4},
                {"service_id": second.id, "waiting_days": 1, "version": 7},
            ]
        },
    )
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["field"] == "services.1.version"
    assert first.capacity == 10


def test_api_bad_values_are_422_with_the_field(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, _ = setup
    token = issue_token(user, "case system")
    response = put(
        client, organisation.id, token, {"services": [{"service_id": first.id, "capacity": -1}]}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "services.0.capacity"
    response = put(
        client,
        organisation.id,
        token,
        {"services": [{"service_id": first.id, "capacity": 1, "places_available": 1}]},
    )
    assert response.status_code == 422


def test_api_refuses_other_organisations_and_their_services(client: FlaskClient, setup) -> None:  # noqa: ANN001
    user, organisation, first, _ = setup
    token = issue_token(user, "case system")
    other = ServiceFactory()
    assert (
        put(
            client,
            other.organisation_id,
            token,
            {"services": [{"service_id": other.id, "capacity": 1}]},
        ).status_code
        == 404
    )
    response = put(
        client, organisation.id, token, {"services": [{"service_id": other.id, "capacity": 1}]}
    )
    assert response.status_code == 404
    assert other.capacity is None


def test_api_needs_a_token(client: FlaskClient, setup) -> None:  # noqa: ANN001
    _, organisation, first, _ = setup
    response = put(
        client, organisation.id, None, {"services": [{"service_id": first.id, "capacity": 1}]}
    )
    assert response.status_code == 401
    assert response.get_json()["errors"]


def test_api_is_documented_in_openapi(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/organisations/{organisation_id}/capacity"]["put"]
    assert {"200", "409", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rows-0-capacity", "2147483648", "Total places must be between 0 and 100,000"),
        ("rows-0-waiting_days", "9" * 30, "Waiting time must be between 0 and 3,650 days"),
    ],
)
def test_numbers_beyond_any_service_are_explained_and_nothing_is_saved(
    client: FlaskClient,
    setup,  # noqa: ANN001
    field: str,
    value: str,
    message: str,
) -> None:
    user, organisation, first, second = setup
    sign_in(client, user.email)
    response = post_form(
        client, f"/organisations/{organisation.id}/capacity", rows(first, second, **{field: value})
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(first)
    assert (first.capacity, first.version) == (10, 1)
