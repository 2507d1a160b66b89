"""Locations: postcodes geocoded offline, confidential addresses, scope."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from geoalchemy2 import Geometry
from sqlalchemy import func, select

from marketplace.directory.models import Location
from marketplace.extensions import db
from onboarding.locating import locate, normalise_postcode
from tests.factories import LocationFactory, known_postcodes, provider_user
from tests.helpers import post_form, sign_in

ADDRESS = {"name": "Leeds hub", "address_line_1": "1 Park Row", "town": "Leeds"}


@pytest.fixture
def provider(client: FlaskClient):  # noqa: ANN201
    user = provider_user()
    sign_in(client, user.email)
    return user


@pytest.mark.parametrize(
    "text,expected",
    [
        ("ls11ur", "LS1 1UR"),
        (" sw1a  1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("LS1", None),
        ("12345", None),
        ("", None),
    ],
)
def test_normalise_postcode(text: str, expected: str | None) -> None:
    assert normalise_postcode(text) == expected


def test_locate_gives_the_point_and_local_authority() -> None:
    areas = known_postcodes("LS1 1UR")
    place = locate("ls1 1ur")
    assert place is not None
    assert (place.postcode, round(place.lat, 4), round(place.lon, 4)) == (
        "LS1 1UR",
        53.8022,
        -1.5485,
    )
    assert place.area == areas["LS1 1UR"]
    assert locate("LS1 9ZZ") is None


def test_adding_a_location_geocodes_its_postcode(client: FlaskClient, provider) -> None:  # noqa: ANN001
    areas = known_postcodes("LS1 1UR")
    organisation = provider.memberships[0].organisation
    response = post_form(
        client, f"/organisations/{organisation.id}/locations/new", {**ADDRESS, "postcode": "ls11ur"}
    )
    assert response.status_code == 302
    location = db.session.scalar(select(Location).where(Location.name == "Leeds hub"))
    assert location.postcode == "LS1 1UR"
    assert location.area == areas["LS1 1UR"]
    lat = db.session.scalar(
        select(func.ST_Y(Location.point.cast(Geometry))).where(Location.id == location.id)
    )
    assert round(lat, 4) == 53.8022
    page = client.get(f"/organisations/{organisation.id}/locations").get_data(as_text=True)
    assert "Leeds hub" in page and "data-app-map" in page


@pytest.mark.parametrize(
    "postcode,message",
    [
        ("LS1 9ZZ", "We could not find this postcode. Check it and enter it again"),
        ("not a postcode", "Enter a real postcode, like SW1A 1AA"),
        ("", "Enter a postcode, like SW1A 1AA"),
    ],
)
def test_bad_postcodes_are_explained_and_nothing_is_saved(
    client: FlaskClient, provider, postcode: str, message: str
) -> None:  # noqa: ANN001
    known_postcodes("LS1 1UR")
    organisation = provider.memberships[0].organisation
    response = post_form(
        client, f"/organisations/{organisation.id}/locations/new", {**ADDRESS, "postcode": postcode}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Location).where(Location.name == "Leeds hub")) is None


def test_editing_a_location_keeps_it_when_the_new_postcode_is_unknown(
    client: FlaskClient, provider
) -> None:  # noqa: ANN001
    known_postcodes("LS1 1UR")
    location = LocationFactory(organisation=provider.memberships[0].organisation, name="Old name")
    response = post_form(
        client, f"/locations/{location.id}/edit", {**ADDRESS, "postcode": "LS1 9ZZ"}
    )
    assert response.status_code == 400
    db.session.refresh(location)
    assert (location.name, location.postcode) == ("Old name", "SW1A 1AA")


def test_a_confidential_location_is_marked_and_saved_hidden(client: FlaskClient, provider) -> None:  # noqa: ANN001
    known_postcodes("LS1 1UR")
    organisation = provider.memberships[0].organisation
    post_form(
        client,
        f"/organisations/{organisation.id}/locations/new",
        {**ADDRESS, "name": "Refuge", "postcode": "LS1 1UR", "hidden": "y"},
    )
    location = db.session.scalar(select(Location).where(Location.name == "Refuge"))
    assert location.hidden is True
    assert "Confidential address" in client.get(
        f"/organisations/{organisation.id}/locations"
    ).get_data(as_text=True)


def test_another_organisations_location_is_not_found(client: FlaskClient, provider) -> None:  # noqa: ANN001
    theirs = LocationFactory()
    assert client.get(f"/locations/{theirs.id}/edit").status_code == 404
    assert client.get(f"/organisations/{theirs.organisation_id}/locations").status_code == 404


def test_removing_a_location_unlinks_it_from_services(client: FlaskClient, provider) -> None:  # noqa: ANN001
    from tests.factories import ServiceFactory

    organisation = provider.memberships[0].organisation
    keep, drop = (
        LocationFactory(organisation=organisation),
        LocationFactory(organisation=organisation),
    )
    service = ServiceFactory(organisation=organisation)
    service.locations.extend([keep, drop])
    page = f"/organisations/{organisation.id}/locations"
    post_form(client, f"/locations/{drop.id}/remove", {}, form_page=page)
    assert db.session.get(Location, drop.id) is None
    assert service.locations == [keep]
    assert service.version == 2
