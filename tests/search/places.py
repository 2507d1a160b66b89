"""Real postcode positions (OS Code-Point Open 2025.2, converted from British National Grid
with PostGIS ``ST_Transform``) and the local authority each is in."""

from __future__ import annotations

from typing import Any

from search.query import Point

# postcode: (lat, lon, local authority GSS code)
POSTCODES: dict[str, tuple[float, float, str]] = {
    "M1 1AE": (53.483471, -2.231184, "E08000003"),  # Manchester, Piccadilly
    "M4 5JD": (53.484101, -2.235754, "E08000003"),
    "M13 9PL": (53.466910, -2.233580, "E08000003"),  # Manchester, university
    "M20 2LR": (53.425198, -2.245239, "E08000003"),  # Didsbury
    "M32 0JG": (53.455654, -2.302836, "E08000009"),  # Trafford
    "M60 2LA": (53.487362, -2.227212, "E08000003"),
    "SK1 3XE": (53.405974, -2.158487, "E08000007"),  # Stockport
    "OL1 1NL": (53.543824, -2.116945, "E08000004"),  # Oldham
    "BL1 1RU": (53.578232, -2.430774, "E08000001"),  # Bolton
    "WN1 1XF": (53.551012, -2.628237, "E08000010"),  # Wigan
    "WA1 1UH": (53.389697, -2.599635, "E06000007"),  # Warrington
    "L1 8JQ": (53.404550, -2.987154, "E08000012"),  # Liverpool
    "LS1 4DY": (53.795134, -1.546664, "E08000035"),  # Leeds
    "BD1 1HY": (53.792313, -1.753292, "E08000032"),  # Bradford
    "B1 1BB": (52.480418, -1.903454, "E08000025"),  # Birmingham
    "CF10 1EP": (51.475764, -3.179209, "W06000015"),  # Cardiff
    "SW1A 1AA": (51.501009, -0.141588, "E09000033"),  # Westminster
    "SW1A 2AA": (51.503540, -0.127695, "E09000033"),
    "E1 6AN": (51.518886, -0.078506, "E09000001"),  # City of London
    "SE1 7PB": (51.502499, -0.119410, "E09000022"),  # Lambeth
}


def position(postcode: str) -> Point:
    lat, lon, _ = POSTCODES[postcode]
    return Point(lat, lon)


def square(south: float, west: float, north: float, east: float) -> str:
    """EWKT for a rectangular MULTIPOLYGON boundary."""
    ring = f"{west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}"
    return f"SRID=4326;MULTIPOLYGON((({ring})))"


def add_postcodes() -> None:
    """Insert the postcodes above (and the "M1" district) unless they are already there."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.geography.models import OutwardCode, Postcode
    from tests.factories import OutwardCodeFactory, PostcodeFactory

    existing = set(db.session.scalars(select(Postcode.postcode)))
    for code, (lat, lon, authority) in POSTCODES.items():
        if code not in existing:
            PostcodeFactory(postcode=code, lat=lat, lon=lon, local_authority_code=authority)
    if db.session.get(OutwardCode, "M1") is None:
        OutwardCodeFactory(outward="M1", lat=53.4795, lon=-2.2345, postcode_count=1200)


def area(code: str, name: str, **fields: object) -> Any:
    """The area with ``code``: the real one when the test database holds it (it loads real
    areas for some postcode areas), else a new one."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.geography.models import Area
    from tests.factories import AreaFactory

    existing = db.session.scalar(select(Area).where(Area.code == code))
    return existing if existing is not None else AreaFactory(code=code, name=name, **fields)
