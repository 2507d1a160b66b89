"""Where a search is centred: a postcode or a point, resolved to a position and the areas
that contain it (for "delivers to this area")."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.extensions import db
from onboarding.geodata import geocode, geocode_outward
from search.parser import POSTCODE_MESSAGE, QueryError
from search.query import Place, Point, SearchQuery

# Areas whose boundary covers the point, the postcode's local authority, and all their
# ancestors (a service covering a region delivers to every local authority in it).
_AREAS_SQL = text(
    """
    WITH RECURSIVE containing AS (
        SELECT id, parent_id FROM area
         WHERE ST_Covers(boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
            OR code = :local_authority_code
        UNION
        SELECT area.id, area.parent_id FROM area JOIN containing ON area.id = containing.parent_id
    )
    SELECT id FROM containing ORDER BY id
    """
)


def locate(query: SearchQuery) -> Place | None:
    """The place ``query`` is centred on, or None if it gives neither postcode nor point.

    Raises ``QueryError`` (field ``postcode``) for a postcode that does not exist. Area ids
    are looked up only when the query asks for "delivers to this area" and does not give
    them itself (``query.area_ids``).
    """
    local_authority_code: str | None = None
    if query.point is not None:
        point, label = query.point, f"{query.point.lat:.5f}, {query.point.lon:.5f}"
    elif query.postcode and " " in query.postcode:
        found = geocode(query.postcode)
        if found is None:
            raise QueryError.single("postcode", POSTCODE_MESSAGE)
        point, label = Point(found.lat, found.lon), found.postcode
        local_authority_code = found.local_authority_code
    elif query.postcode:
        # A postcode district ("M1"): its centroid, and the areas around that.
        district = geocode_outward(query.postcode)
        if district is None:
            raise QueryError.single("postcode", POSTCODE_MESSAGE)
        point, label = Point(district.lat, district.lon), district.outward
    else:
        return None
    area_ids: tuple[int, ...] = query.area_ids
    if query.delivers_to_area and not area_ids:
        area_ids = tuple(
            db.session.scalars(
                _AREAS_SQL,
                {
                    "lat": point.lat,
                    "lon": point.lon,
                    "local_authority_code": local_authority_code,
                },
            )
        )
    return Place(point=point, label=label, area_ids=area_ids)
