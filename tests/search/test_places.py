"""Resolving where a search is centred: postcodes, districts and the areas around a point."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.geography.models import AreaKind
from search.engine import find_services
from search.parser import QueryError
from search.places import locate
from search.query import Point, SearchQuery
from tests.factories import AreaFactory, LocationFactory, PostcodeFactory, ServiceFactory, point
from tests.search.places import area, square


def test_a_postcode_is_its_code_point_position(postcodes: dict) -> None:
    place = locate(SearchQuery(postcode="M1 1AE"))

    assert place is not None
    assert place.point == Point(pytest.approx(53.483471), pytest.approx(-2.231184))
    assert place.label == "M1 1AE"


def test_a_postcode_district_is_its_centroid(postcodes: dict) -> None:
    lat, lon = db.session.execute(
        text(
            "SELECT ST_Y(point::geometry), ST_X(point::geometry) FROM outward_code "
            "WHERE outward = 'M1'"
        )
    ).one()

    place = locate(SearchQuery(postcode="M1"))

    assert place is not None and place.label == "M1"
    assert place.point == Point(pytest.approx(lat), pytest.approx(lon))
    assert place.point == Point(pytest.approx(53.48, abs=0.01), pytest.approx(-2.235, abs=0.01))


@pytest.mark.parametrize("postcode", ["ZZ9 9ZZ", "ZZ9"])
def test_an_unknown_postcode_is_a_query_error(postcodes: dict, postcode: str) -> None:
    with pytest.raises(QueryError) as raised:
        locate(SearchQuery(postcode=postcode))

    assert raised.value.errors[0].message == "Enter a real postcode, like M1 1AE"


# Out in the North Sea: no real boundary in the test database covers it.
AT_SEA = Point(55.0, 3.0)


def test_the_areas_of_a_place_are_its_local_authority_and_everything_above() -> None:
    country = AreaFactory(code="X92000001", kind=AreaKind.COUNTRY)
    region = AreaFactory(code="X12000002", kind=AreaKind.REGION, parent=country)
    authority = AreaFactory(code="X08000003", parent=region)
    AreaFactory(code="X08000009", parent=region)  # a neighbour: not this postcode's
    PostcodeFactory(
        postcode="ZE9 9ZZ", lat=AT_SEA.lat, lon=AT_SEA.lon, local_authority_code="X08000003"
    )

    place = locate(SearchQuery(postcode="ZE9 9ZZ", delivers_to_area=True))

    assert place is not None
    assert sorted(place.area_ids) == sorted([country.id, region.id, authority.id])


def test_a_position_finds_the_areas_whose_boundaries_cover_it() -> None:
    covering = AreaFactory(code="X99999999", boundary=square(54.9, 2.9, 55.1, 3.1))
    AreaFactory(code="X99999998", boundary=square(54.0, 2.9, 54.1, 3.1))

    place = locate(SearchQuery(point=AT_SEA, delivers_to_area=True))

    assert place is not None and place.area_ids == (covering.id,)


def test_real_areas_contain_a_real_postcode(postcodes: dict) -> None:
    manchester = area("E08000003", "Manchester")

    place = locate(SearchQuery(postcode="M1 1AE", delivers_to_area=True))

    assert place is not None and manchester.id in place.area_ids


def test_delivers_to_area_finds_a_service_with_no_location_nearby(postcodes: dict) -> None:
    manchester = area("E08000003", "Manchester")
    far_away = LocationFactory(point=point(51.501009, -0.141588))
    outreach = ServiceFactory(delivery_modes=["outreach"], covering=[manchester], at=far_away)
    ServiceFactory(delivery_modes=["outreach"], at=far_away)

    near_only = find_services(SearchQuery(postcode="M1 1AE", radius_km=10))
    covering = find_services(SearchQuery(postcode="M1 1AE", radius_km=10, delivers_to_area=True))

    assert near_only.total == 0
    assert [hit.service_id for hit in covering.hits] == [outreach.id]
    assert covering.hits[0].distance_km == pytest.approx(261.9, abs=0.1)  # still told how far
