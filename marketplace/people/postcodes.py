"""Where a person is, from the postcode the referrer gives: a point and local authority.

A thin adapter over ``onboarding.geodata`` (OS Code-Point Open, see GEODATA.md). A full
postcode gives its own point; a postcode district alone ("M1") gives the district's
centroid, so a referrer can record only the area when that is all they should share.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.geography.models import Area
from onboarding.geodata import geocode, geocode_outward
from onboarding.postcodes import normalise_outward, normalise_postcode


@dataclass(frozen=True)
class PostcodePlace:
    """A located postcode: ``postcode`` as normalised, ``point`` as EWKT for a Geography
    column, ``latitude``/``longitude``, and the local authority area if known."""

    postcode: str
    point: str
    latitude: float
    longitude: float
    area_id: int | None


def normalise(text: str) -> str | None:
    """``" sw1a1aa "`` -> ``"SW1A 1AA"``, ``"m1"`` -> ``"M1"``; None if it is neither a
    postcode nor a postcode district."""
    return normalise_postcode(text) or (
        normalise_outward(text) if " " not in text.strip() else None
    )


def locate(text: str) -> PostcodePlace | None:
    """The place for a full postcode or a postcode district, or None when it is not one,
    is not in the loaded data, or has no coordinates."""
    postcode = normalise_postcode(text)
    if postcode is not None:
        found = geocode(postcode)
        if found is None:
            return None
        area_id = None
        if found.local_authority_code:
            area_id = db.session.scalar(
                select(Area.id).where(Area.code == found.local_authority_code)
            )
        return _place(found.postcode, found.lat, found.lon, area_id)
    outward = normalise(text)
    district = geocode_outward(outward) if outward else None
    if district is None:
        return None
    return _place(district.outward, district.lat, district.lon, None)


def _place(postcode: str, latitude: float, longitude: float, area_id: int | None) -> PostcodePlace:
    return PostcodePlace(
        postcode=postcode,
        point=f"SRID=4326;POINT({longitude} {latitude})",
        latitude=latitude,
        longitude=longitude,
        area_id=area_id,
    )
