"""GET /api/v1/services and /api/v1/services/{id}: public, ORUK-shaped, documented by an
OpenAPI document that is itself valid and that real responses match."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_spec

from marketplace.directory.models import ServiceStatus
from marketplace.organisations.models import VerificationStatus
from tests.factories import LocationFactory, OrganisationFactory, ServiceFactory, point
from tests.helpers import assert_matches_openapi
from tests.search.directory import haversine_km
from tests.search.places import area


@pytest.fixture
def directory(postcodes: dict) -> dict:
    charity = OrganisationFactory(name="Northern Housing Trust", website="https://nht.example")
    hub = LocationFactory(
        organisation=charity,
        name="Ancoats hub",
        town="Manchester",
        postcode="M4 5JD",
        point=point(53.484101, -2.235754),
    )
    refuge = LocationFactory(
        organisation=charity,
        name="Safe House",
        town="Trafford",
        postcode="M32 0JG",
        point=point(53.455654, -2.302836),
        hidden=True,
        area=area("E08000009", "Trafford"),
    )
    return {
        "housing": ServiceFactory(
            organisation=charity,
            name="Housing first",
            at=[hub, refuge],
            summary="Homes first, then support.",
            need_codes=["accommodation.homeless"],
            capacity=4,
            places_taken=1,
            waiting_days=7,
            rating_sum=9,
            rating_count=2,
        ),
        "remote": ServiceFactory(
            organisation=charity,
            name="Debt helpline",
            delivery_modes=["remote"],
            need_codes=["finance.debt"],
        ),
        "draft": ServiceFactory(organisation=charity, status=ServiceStatus.DRAFT),
        "unverified": ServiceFactory(
            organisation=OrganisationFactory(status=VerificationStatus.PENDING)
        ),
    }


@pytest.fixture
def openapi(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def assert_matches(document: dict[str, Any], path: str, status: int, body: Any) -> None:
    assert_matches_openapi(document, path, status, body)


def test_the_openapi_document_is_valid_openapi_3(openapi: dict[str, Any]) -> None:
    validate_spec(openapi)
    assert openapi["openapi"].startswith("3.")
    parameters = {p["name"] for p in openapi["paths"]["/api/v1/services"]["get"]["parameters"]}
    assert {"text", "taxonomy_term_id", "postcode", "proximity", "page", "per_page"} <= parameters


def test_searching_needs_no_sign_in_and_returns_an_hsds_page(
    client: FlaskClient, directory: dict, openapi: dict[str, Any]
) -> None:
    response = client.get("/api/v1/services?postcode=M1+1AE&proximity=16093")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert_matches(openapi, "/api/v1/services", 200, body)
    assert {
        k: body[k]
        for k in (
            "total_items",
            "total_pages",
            "page_number",
            "first_page",
            "last_page",
            "empty",
            "backend",
        )
    } == {
        "total_items": 1,
        "total_pages": 1,
        "page_number": 1,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "backend": "postgresql",
    }
    service = body["contents"][0]
    assert service["name"] == "Housing first"
    # To Ancoats hub, its nearest location, in metres on the sphere.
    assert service["distance"] == round(
        haversine_km(53.483471, -2.231184, 53.484101, -2.235754) * 1000
    )
    assert service["taxonomy_terms"] == [
        {
            "id": "accommodation.homeless",
            "name": "Homeless or rough sleeping",
            "vocabulary": "pathways-needs",
        }
    ]
    assert (service["places_left"], service["waiting_days"], service["rating"]) == (3, 7, 4.5)


def test_a_hidden_location_is_given_by_area_only(client: FlaskClient, directory: dict) -> None:
    body = client.get("/api/v1/services?postcode=M1+1AE").get_json()

    housing = next(s for s in body["contents"] if s["name"] == "Housing first")
    hidden = next(loc for loc in housing["locations"] if loc["hidden"])
    assert hidden["area"] == "Trafford"
    assert [hidden[k] for k in ("name", "city", "postal_code", "latitude", "longitude")] == [
        None
    ] * 5
    assert hidden["distance"] % 1000 == 0  # whole kilometres only
    assert "Safe House" not in str(body) and "M32 0JG" not in str(body)


def test_facets_count_each_value_without_its_own_filter(
    client: FlaskClient, directory: dict
) -> None:
    body = client.get("/api/v1/services?taxonomy_term_id=finance").get_json()

    assert [s["name"] for s in body["contents"]] == ["Debt helpline"]
    needs = {f["value"]: (f["count"], f["selected"]) for f in body["facets"]["need"]}
    assert needs["finance"] == (1, True)
    assert needs["accommodation"] == (1, False)  # what choosing it as well would add


def test_drafts_and_unverified_organisations_are_not_listed(
    client: FlaskClient, directory: dict
) -> None:
    body = client.get("/api/v1/services?per_page=100").get_json()

    names = {s["id"] for s in body["contents"]}
    assert names == {directory["housing"].id, directory["remote"].id}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("postcode=ZZ9+9ZZ", "postcode"),
        ("postcode=not-a-postcode", "postcode"),
        ("postcode=M1+1AE&proximity=-1", "proximity"),
        ("postcode=M1+1AE&proximity=100000000", "proximity"),
        ("gender=robot", "gender"),
        ("taxonomy_term_id=astrology", "taxonomy_term_id"),
        ("text=" + "a" * 201, "text"),
        ("page=2", "page"),  # past the end of one page
        ("per_page=1000", "per_page"),
        ("lat=91&lon=0", "lat"),
        ("lat=nan&lon=0", "lat"),
    ],
)
def test_bad_parameters_get_a_422_with_field_errors(
    client: FlaskClient, directory: dict, openapi: dict[str, Any], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/services?{query}")

    assert response.status_code == 422
    body = response.get_json()
    assert_matches(openapi, "/api/v1/services", 422, body)
    assert field in {error["field"] for error in body["errors"]}


def test_one_service_in_full(client: FlaskClient, directory: dict, openapi: dict[str, Any]) -> None:
    housing = directory["housing"]

    response = client.get(f"/api/v1/services/{housing.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert_matches(openapi, "/api/v1/services/{service_id}", 200, body)
    assert body["organization"]["website"] == "https://nht.example"
    assert [loc["name"] for loc in body["locations"]] == ["Ancoats hub", None]
    assert body["locations"][0]["latitude"] == pytest.approx(53.484101)


@pytest.mark.parametrize("which", ["draft", "unverified"])
def test_an_unpublished_or_unverified_service_is_not_found(
    client: FlaskClient, directory: dict, openapi: dict[str, Any], which: str
) -> None:
    response = client.get(f"/api/v1/services/{directory[which].id}")

    assert response.status_code == 404
    assert_matches(openapi, "/api/v1/services/{service_id}", 404, response.get_json())


def test_searching_is_rate_limited(
    app: Flask, client: FlaskClient, directory: dict, openapi: dict[str, Any]
) -> None:
    app.config["SEARCH_API_RATE_LIMIT"] = "3 per minute"
    try:
        responses = [client.get("/api/v1/services") for _ in range(4)]
    finally:
        app.config["SEARCH_API_RATE_LIMIT"] = "120 per minute"

    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert_matches(openapi, "/api/v1/services", 429, responses[-1].get_json())
