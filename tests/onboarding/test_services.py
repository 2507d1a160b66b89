"""Creating, editing (versioned), publishing and pausing services."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.directory.models import Service, ServiceStatus, ServiceVersion
from marketplace.extensions import db
from marketplace.organisations.models import MembershipRole, VerificationStatus
from tests.factories import LocationFactory, OrganisationFactory, ServiceFactory, provider_user
from tests.helpers import post_form, sign_in

DETAILS = {
    "name": "Housing advice drop-in",
    "summary": "Help to find and keep somewhere to live",
    "description": "Weekly drop-in.",
    "opening_times": "Tuesdays 10am to 1pm",
}


@pytest.fixture
def provider(client: FlaskClient):  # noqa: ANN201
    user = provider_user()
    sign_in(client, user.email)
    return user


def versions_of(service: Service) -> list[ServiceVersion]:
    return list(
        db.session.scalars(
            select(ServiceVersion)
            .where(ServiceVersion.service_id == service.id)
            .order_by(ServiceVersion.version)
        )
    )


def test_a_new_service_goes_through_each_section_to_check_your_answers(
    client: FlaskClient, provider
) -> None:  # noqa: ANN001
    organisation = provider.memberships[0].organisation
    location = LocationFactory(organisation=organisation)
    response = post_form(client, f"/organisations/{organisation.id}/services/new", DETAILS)
    service = db.session.scalar(select(Service).where(Service.name == DETAILS["name"]))
    assert service.status == ServiceStatus.DRAFT
    assert response.headers["Location"] == f"/services/{service.id}/edit/who"
    response = post_form(
        client,
        f"/services/{service.id}/edit/who",
        {
            "version": "1",
            "need_codes": ["accommodation.homeless", "finance"],
            "min_age": "18",
            "max_age": "65",
            "cjs_stages": ["licence"],
            "risk_levels": ["low", "medium"],
        },
    )
    assert response.headers["Location"] == f"/services/{service.id}/edit/delivery"
    post_form(
        client,
        f"/services/{service.id}/edit/delivery",
        {
            "version": "2",
            "delivery_modes": ["in_person"],
            "referral_routes": ["professional"],
            "location_ids": [str(location.id)],
            "languages": ["en", "pl"],
        },
    )
    response = post_form(
        client,
        f"/services/{service.id}/edit/capacity",
        {
            "version": "3",
            "limit": "limited",
            "capacity": "12",
            "capacity_status": "available",
            "waiting_days": "7",
        },
    )
    assert response.headers["Location"] == f"/services/{service.id}"
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "Check your answers before publishing" in page
    assert "Homeless or rough sleeping" in page
    assert "12 places" in page
    assert (service.min_age, service.max_age, service.capacity, service.waiting_days) == (
        18,
        65,
        12,
        7,
    )
    assert [loc.id for loc in service.locations] == [location.id]
    assert [v.version for v in versions_of(service)] == [1, 2, 3, 4]
    assert versions_of(service)[-1].changes["capacity"] == [None, 12]
    assert versions_of(service)[-1].changed_by_id == provider.id

    response = post_form(
        client,
        f"/services/{service.id}/publish",
        {"version": "4"},
        form_page=f"/services/{service.id}",
    )
    assert response.status_code == 302
    assert service.status == ServiceStatus.PUBLISHED
    assert service.published_at is not None
    assert versions_of(service)[-1].summary == "Published"


def test_upside_down_age_range_is_refused_and_nothing_changes(
    client: FlaskClient, provider
) -> None:  # noqa: ANN001
    service = ServiceFactory(organisation=provider.memberships[0].organisation, min_age=18)
    response = post_form(
        client,
        f"/services/{service.id}/edit/who",
        {"version": "1", "need_codes": ["accommodation"], "min_age": "40", "max_age": "20"},
    )
    assert response.status_code == 400
    assert "Maximum age must be the same as or more than minimum age" in response.get_data(
        as_text=True
    )
    db.session.refresh(service)
    assert (service.min_age, service.max_age, service.version) == (18, None, 1)


@pytest.mark.parametrize(
    "capacity,message",
    [
        ("-3", "Number of places must be between 0 and 100,000"),
        ("9" * 30, "Number of places must be between 0 and 100,000"),
        ("lots", "Number of places must be a whole number, like 12"),
        ("", "Enter the number of places"),
    ],
)
def test_bad_capacity_is_explained(
    client: FlaskClient, provider, capacity: str, message: str
) -> None:  # noqa: ANN001
    service = ServiceFactory(organisation=provider.memberships[0].organisation, capacity=5)
    response = post_form(
        client,
        f"/services/{service.id}/edit/capacity",
        {"version": "1", "limit": "limited", "capacity": capacity, "capacity_status": "available"},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert service.capacity == 5


def test_capacity_cannot_drop_below_places_held_by_referrals(client: FlaskClient, provider) -> None:  # noqa: ANN001
    service = ServiceFactory(
        organisation=provider.memberships[0].organisation, capacity=5, places_taken=4
    )
    response = post_form(
        client,
        f"/services/{service.id}/edit/capacity",
        {"version": "1", "limit": "limited", "capacity": "2", "capacity_status": "available"},
    )
    assert response.status_code == 400
    assert "cannot be fewer than the 4 already held by open referrals" in response.get_data(
        as_text=True
    )
    db.session.refresh(service)
    assert service.capacity == 5


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(client: FlaskClient, provider) -> None:  # noqa: ANN001
    service = ServiceFactory(
        organisation=provider.memberships[0].organisation,
        name="Original",
        status=ServiceStatus.DRAFT,
    )
    colleague = provider_user(service.organisation, role=MembershipRole.MEMBER)
    # The colleague saves first, making version 2.
    from marketplace.directory.services import change_service

    change_service(service, {"summary": "Colleague's summary"}, colleague, expected_version=1)
    response = post_form(
        client, f"/services/{service.id}/edit/details", {**DETAILS, "version": "1"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This service was changed by someone else" in page
    assert DETAILS["name"] in page  # what they typed is still there
    assert 'name="version" value="2"' in page
    db.session.refresh(service)
    assert (service.name, service.summary, service.version) == (
        "Original",
        "Colleague's summary",
        2,
    )


def test_publishing_an_incomplete_service_lists_what_is_missing(
    client: FlaskClient, provider
) -> None:  # noqa: ANN001
    service = ServiceFactory(
        organisation=provider.memberships[0].organisation,
        status=ServiceStatus.DRAFT,
        delivery_modes=["in_person"],
    )
    response = post_form(
        client,
        f"/services/{service.id}/publish",
        {"version": "1"},
        form_page=f"/services/{service.id}",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "You cannot publish this service yet" in page
    assert "Add a location for a service delivered in person" in page
    assert service.status == ServiceStatus.DRAFT


def test_pausing_takes_a_service_out_and_is_versioned(client: FlaskClient, provider) -> None:  # noqa: ANN001
    service = ServiceFactory(
        organisation=provider.memberships[0].organisation, areas=[], delivery_modes=["remote"]
    )
    service.locations.append(LocationFactory(organisation=service.organisation))
    response = post_form(
        client,
        f"/services/{service.id}/pause",
        {"version": "1"},
        form_page=f"/services/{service.id}",
    )
    assert response.status_code == 302
    assert service.status == ServiceStatus.PAUSED
    assert versions_of(service)[-1].changes["status"] == ["published", "paused"]


def test_a_member_edits_but_cannot_publish(client: FlaskClient) -> None:
    organisation = OrganisationFactory()
    member = provider_user(organisation, role=MembershipRole.MEMBER)
    service = ServiceFactory(organisation=organisation, status=ServiceStatus.DRAFT)
    sign_in(client, member.email)
    assert client.get(f"/services/{service.id}/edit/details").status_code == 200
    response = post_form(
        client,
        f"/services/{service.id}/publish",
        {"version": "1"},
        form_page=f"/services/{service.id}",
    )
    assert response.status_code == 403
    assert service.status == ServiceStatus.DRAFT


def test_another_organisations_service_is_not_found(client: FlaskClient, provider) -> None:  # noqa: ANN001
    theirs = ServiceFactory()
    assert client.get(f"/services/{theirs.id}").status_code == 404
    assert client.get(f"/services/{theirs.id}/edit/details").status_code == 404
    assert client.get(f"/services/{theirs.id}/history").status_code == 404


def test_locations_of_another_organisation_cannot_be_attached(
    client: FlaskClient, provider
) -> None:  # noqa: ANN001
    service = ServiceFactory(organisation=provider.memberships[0].organisation)
    foreign = LocationFactory()
    response = post_form(
        client,
        f"/services/{service.id}/edit/delivery",
        {
            "version": "1",
            "delivery_modes": ["in_person"],
            "referral_routes": ["professional"],
            "location_ids": [str(foreign.id)],
        },
    )
    assert response.status_code == 400
    assert foreign not in service.locations


def test_history_shows_who_changed_what(client: FlaskClient, provider) -> None:  # noqa: ANN001
    organisation = provider.memberships[0].organisation
    post_form(client, f"/organisations/{organisation.id}/services/new", DETAILS)
    service = db.session.scalar(select(Service).where(Service.name == DETAILS["name"]))
    post_form(
        client,
        f"/services/{service.id}/edit/details",
        {**DETAILS, "summary": "Changed summary", "version": "1"},
    )
    page = client.get(f"/services/{service.id}/history").get_data(as_text=True)
    assert provider.name in page
    assert "Changed summary" in page
    assert "Help to find and keep somewhere to live" in page


def test_publishing_before_verification_says_when_it_will_appear(client: FlaskClient) -> None:
    user = provider_user()
    organisation = user.memberships[0].organisation
    organisation.status = VerificationStatus.PENDING
    location = LocationFactory(organisation=organisation)
    service = ServiceFactory(organisation=organisation, status=ServiceStatus.DRAFT, at=location)
    sign_in(client, user.email)
    post_form(
        client,
        f"/services/{service.id}/publish",
        {"version": "1"},
        form_page=f"/services/{service.id}",
    )
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "will appear in search once your organisation has been verified" in page
