"""Where a location is: a postcode turned into a point and a local authority, offline.

The one place the directory asks the geography data about postcodes (through
``onboarding.geodata``, which reads the Code-Point Open table loaded by
``flask geodata load``). Nothing is fetched at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.geography.models import Area, AreaKind
from onboarding.geodata import area_containing, geocode
from onboarding.postcodes import normalise_postcode

__all__ = ["Place", "locate", "normalise_postcode"]


@dataclass(frozen=True)
class Place:
    """A geocoded postcode: its point (WGS84) and the local authority it is in, if known."""

    postcode: str
    lat: float
    lon: float
    area: Area | None

    @property
    def ewkt(self) -> str:
        """The point as EWKT, the form GeoAlchemy2 accepts for Geography columns."""
        return f"SRID=4326;POINT({self.lon} {self.lat})"


def locate(postcode: str) -> Place | None:
    """The point and local authority of a postcode, or None when it is malformed or not
    in the postcode table (it does not exist, or has no coordinates).

    The local authority comes from the postcode's own district code, which is exact; the
    boundary is only consulted when the postcode has none.
    """
    result = geocode(postcode)
    if result is None:
        return None
    area = None
    if result.local_authority_code:
        area = db.session.scalar(select(Area).where(Area.code == result.local_authority_code))
    if area is None:
        containing = area_containing(result.lat, result.lon, AreaKind.LOCAL_AUTHORITY)
        area = db.session.get(Area, containing.id) if containing else None
    return Place(postcode=result.postcode, lat=float(result.lat), lon=float(result.lon), area=area)
