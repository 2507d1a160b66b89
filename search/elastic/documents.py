"""Index documents: one per service, built from the database in batches.

``load_rows`` fetches everything a document needs for many services in one query (no
per-service lazy loads), and ``build_document`` turns one row into the document, pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import RowMapping, text

from marketplace.extensions import db
from search.facets import (
    accepted,
    capacity_now,
    languages_served,
    rating_score,
    waiting_days_now,
)
from search.query import MAX_AGE

_ROWS_SQL = """
SELECT s.id, s.name, s.summary, s.description, s.status, s.organisation_id,
       o.name AS organisation_name, o.status AS organisation_status,
       s.genders, s.cjs_stages, s.risk_levels, s.languages, s.interpreter_available,
       s.accessibility, s.delivery_modes, s.min_age, s.max_age, s.capacity, s.places_taken,
       s.capacity_status, s.waiting_days, s.rating_sum, s.rating_count, s.updated_at,
       (SELECT json_agg(json_build_object('code', n.code, 'name', n.name,
                                          'parent_code', n.parent_code) ORDER BY n.position)
          FROM service_need sn JOIN need n ON n.code = sn.need_code
         WHERE sn.service_id = s.id) AS needs,
       (SELECT json_agg(json_build_object(
                   'id', l.id, 'name', l.name, 'town', l.town, 'postcode', l.postcode,
                   'hidden', l.hidden, 'lat', ST_Y(l.point::geometry),
                   'lon', ST_X(l.point::geometry), 'area_name', a.name) ORDER BY l.id)
          FROM service_location sl JOIN location l ON l.id = sl.location_id
          LEFT JOIN area a ON a.id = l.area_id
         WHERE sl.service_id = s.id) AS locations,
       ARRAY(SELECT area_id FROM service_area sa WHERE sa.service_id = s.id ORDER BY area_id)
           AS area_ids
  FROM service s JOIN organisation o ON o.id = s.organisation_id
"""


def load_rows(service_ids: Iterable[int] | None = None) -> Iterator[RowMapping]:
    """Rows for ``service_ids`` (all services if None), streamed in id order."""
    if service_ids is None:
        statement = text(_ROWS_SQL + " ORDER BY s.id")
        params: dict[str, Any] = {}
    else:
        statement = text(_ROWS_SQL + " WHERE s.id = ANY(:ids) ORDER BY s.id")
        params = {"ids": list(service_ids)}
    result = db.session.execute(
        statement.execution_options(stream_results=True, yield_per=1000), params
    )
    yield from result.mappings()


def _location(location: Mapping[str, Any]) -> dict[str, Any]:
    """A location for display. A hidden one keeps its position (for distances, never shown)
    and its area, and loses its name and address here, before it leaves the database."""
    hidden = location["hidden"]
    return {
        "id": location["id"],
        "name": "" if hidden else location["name"],
        "town": "" if hidden else location["town"],
        "postcode": "" if hidden else location["postcode"],
        "hidden": hidden,
        "lat": location["lat"],
        "lon": location["lon"],
        "area_name": location["area_name"],
    }


def build_document(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """The index document of one service (see ``search.elastic.mapping``)."""
    needs = row["needs"] or []
    need_codes = sorted(
        {n["code"] for n in needs} | {n["parent_code"] for n in needs if n["parent_code"]}
    )
    locations = [_location(loc) for loc in row["locations"] or []]
    capacity = capacity_now(row["capacity_status"], row["capacity"], row["places_taken"])
    rating_count = row["rating_count"]
    return {
        "id": row["id"],
        "name": row["name"],
        "summary": row["summary"],
        "description": row["description"],
        "status": row["status"],
        "organisation_id": row["organisation_id"],
        "organisation_name": row["organisation_name"],
        "organisation_verified": row["organisation_status"] == "verified",
        "need_codes": need_codes,
        "listed_need_codes": sorted(n["code"] for n in needs),
        "need_names": [n["name"] for n in needs],
        "needs": [{"code": n["code"], "name": n["name"]} for n in needs],
        "delivery_modes": sorted(row["delivery_modes"]),
        "capacity": capacity,
        "genders": accepted(row["genders"]),
        "cjs_stages": accepted(row["cjs_stages"]),
        "risk_levels": accepted(row["risk_levels"]),
        "languages": languages_served(row["languages"], row["interpreter_available"]),
        "accessibility": sorted(row["accessibility"]),
        "min_age": row["min_age"] if row["min_age"] is not None else 0,
        "max_age": row["max_age"] if row["max_age"] is not None else MAX_AGE,
        "waiting_days": waiting_days_now(row["waiting_days"], capacity),
        "places_left": (
            max(row["capacity"] - row["places_taken"], 0) if row["capacity"] is not None else None
        ),
        "rating": float(row["rating_sum"]) / rating_count if rating_count else None,
        "rating_score": rating_score(row["rating_sum"], rating_count),
        "rating_count": rating_count,
        "points": [{"lat": loc["lat"], "lon": loc["lon"]} for loc in locations],
        "locations": locations,
        "area_ids": list(row["area_ids"]),
        "updated_at": row["updated_at"].isoformat(),
    }
