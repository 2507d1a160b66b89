"""geocode, geocode_outward and area_containing against the loaded test database."""

from __future__ import annotations

import math

import pytest
from flask import Flask

from marketplace.geography.models import AreaKind
from onboarding.geodata import area_containing, geocode, geocode_outward

# Known positions. SW1A 1AA is Buckingham Palace. M1 1AE (Manchester city centre) and
# B1 1BB (Birmingham city centre) are OS Code-Point's grid references (384756 E 398553 N;
# 406654 E 286948 N) converted to WGS84 with the OS Helmert transformation by hand,
# independently of PostGIS; CF10 1EP likewise (318200 E 175860 N).
KNOWN_POSITIONS = {
    "SW1A 1AA": (51.5010, -0.1416, "E09000033"),
    "M1 1AE": (53.4835, -2.2312, "E08000003"),
    "B1 1BB": (52.4804, -1.9035, "E08000025"),
    "CF10 1EP": (51.4758, -3.1792, "W06000015"),
}


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine on a 6,371 km sphere)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


@pytest.mark.parametrize("postcode", sorted(KNOWN_POSITIONS))
def test_well_known_postcode_geocodes_within_200_metres(geodata: Flask, postcode: str) -> None:
    lat, lon, local_authority_code = KNOWN_POSITIONS[postcode]
    result = geocode(postcode.lower().replace(" ", ""))
    assert result is not None
    assert result.postcode == postcode
    assert metres_between(result.lat, result.lon, lat, lon) < 200
    assert result.local_authority_code == local_authority_code


def test_unknown_but_well_formed_postcode_geocodes_to_none(geodata: Flask) -> None:
    assert geocode("SW1A 9ZZ") is None


def test_malformed_postcode_geocodes_to_none(geodata: Flask) -> None:
    assert geocode("not a postcode") is None
    assert geocode("") is None


def test_postcode_without_coordinates_in_code_point_geocodes_to_none(geodata: Flask) -> None:
    # M35 5AP has positional quality 90 (no coordinates) in Code-Point Open 2025.2.
    assert geocode("M35 5AP") is None


def test_postcode_outside_the_loaded_areas_geocodes_to_none(geodata: Flask) -> None:
    assert geocode("LS1 1UR") is None  # Leeds: not in the test slice


def test_outward_code_has_a_centroid_among_its_postcodes(geodata: Flask) -> None:
    result = geocode_outward("m1")
    assert result is not None
    assert result.outward == "M1"
    assert result.postcode_count > 100
    # The M1 district is central Manchester, a couple of kilometres across.
    assert metres_between(result.lat, result.lon, 53.4808, -2.2360) < 1_500


def test_outward_code_of_a_full_postcode_is_used(geodata: Flask) -> None:
    result = geocode_outward("SW1A 1AA")
    assert result is not None
    assert result.outward == "SW1A"


def test_unknown_or_malformed_outward_code_geocodes_to_none(geodata: Flask) -> None:
    assert geocode_outward("M98") is None
    assert geocode_outward("M1 1") is None
    assert geocode_outward("99") is None


def test_buckingham_palace_is_in_westminster_the_metropolitan_police_and_london(
    geodata: Flask,
) -> None:
    result = geocode("SW1A 1AA")
    assert result is not None
    authority = area_containing(result.lat, result.lon, AreaKind.LOCAL_AUTHORITY)
    force = area_containing(result.lat, result.lon, "police_force_area")
    region = area_containing(result.lat, result.lon, AreaKind.REGION)
    assert authority is not None and (authority.code, authority.name) == (
        "E09000033",
        "Westminster",
    )
    assert force is not None and (force.code, force.name) == ("E23000001", "Metropolitan Police")
    assert region is not None and region.name == "London"
    assert authority.kind is AreaKind.LOCAL_AUTHORITY


def test_guildhall_is_policed_by_the_city_of_london_police(geodata: Flask) -> None:
    force = area_containing(51.5155, -0.0919, AreaKind.POLICE_FORCE_AREA)
    assert force is not None and force.code == "E23000034"


@pytest.mark.parametrize(
    ("lat", "lon", "authority", "force", "region"),
    [
        (53.4835, -2.2312, "Manchester", "Greater Manchester", "North West"),
        (52.4804, -1.9035, "Birmingham", "West Midlands", "West Midlands"),
        (51.4758, -3.1792, "Cardiff", "South Wales", "Wales"),
        (51.7520, -1.2577, "Oxford", "Thames Valley", "South East"),
        (51.8156, -0.8084, "Buckinghamshire", "Thames Valley", "South East"),  # Aylesbury
        (54.0466, -2.8007, "Lancaster", "Lancashire", "North West"),
        (51.2093, -2.6445, "Somerset", "Avon and Somerset", "South West"),  # Wells
    ],
)
def test_points_fall_in_their_local_authority_force_and_region(
    geodata: Flask, lat: float, lon: float, authority: str, force: str, region: str
) -> None:
    found = [
        area.name if area else None
        for area in (
            area_containing(lat, lon, AreaKind.LOCAL_AUTHORITY),
            area_containing(lat, lon, AreaKind.POLICE_FORCE_AREA),
            area_containing(lat, lon, AreaKind.REGION),
        )
    ]
    assert found == [authority, force, region]


def test_point_at_sea_is_in_no_area(geodata: Flask) -> None:
    assert area_containing(50.0, -3.0, AreaKind.LOCAL_AUTHORITY) is None  # English Channel


def test_unknown_area_kind_is_refused(geodata: Flask) -> None:
    with pytest.raises(ValueError):
        area_containing(51.5, -0.14, "parish")
