"""Elasticsearch request bodies and responses, as pure functions.

``build_search_body`` turns a query and place into the ``_search`` body:

* the main ``query`` holds every filter that is not a facet (status, verification, text,
  age, waiting time, distance or service area), so aggregations see all of them;
* ``post_filter`` holds the facet filters, so they narrow the hits but not the counts;
* each facet's aggregation is a ``filter`` aggregation of the *other* facets' filters
  around a ``terms`` aggregation (an ALL facet also applies its own), which is the same
  counting rule as the PostgreSQL backend (``search.facets``).

``parse_search_response`` turns the response back into hits, a total and raw buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from search import facets as facet_rules
from search.facets import FACETS, REMOTE, FacetKind, counted_with, match_values
from search.query import Place, SearchQuery, Sort, delivery_areas
from search.results import (
    MARK_END,
    MARK_START,
    Hit,
    LocationHit,
    NeedTag,
    age_limits,
    arc_distance_km,
    parse_highlight,
    shown_distance_km,
)

TEXT_FIELDS = ["name^3", "summary^2", "organisation_name^2", "need_names^2", "description"]
SOURCE_FIELDS = [
    "id",
    "name",
    "summary",
    "organisation_id",
    "organisation_name",
    "organisation_verified",
    "needs",
    "delivery_modes",
    "capacity",
    "places_left",
    "waiting_days",
    "rating",
    "rating_count",
    "min_age",
    "max_age",
    "locations",
]
# What a brief hit needs: the locations, for the distance to the nearest one as shown.
BRIEF_SOURCE_FIELDS = ["id", "locations"]
FACET_SIZE = 200  # more than any vocabulary, including every need code
# Added to a local service's score when ordering by need coverage: less than the smallest
# difference between two coverages (1: weights are whole numbers), so it only puts local
# services first among equals, as PostgreSQL's second sort key does.
LOCAL_TIE_BREAK = 0.5


def _point(place: Place) -> dict[str, float]:
    return {"lat": place.point.lat, "lon": place.point.lon}


def _local_filter(query: SearchQuery, place: Place | None) -> dict[str, Any] | None:
    """Within the radius of the place, or delivering to its areas (see ``SearchQuery``);
    None when the query does not narrow by place."""
    near = (
        {
            "geo_distance": {
                "distance": f"{round(query.radius_km * 1000)}m",
                "points": _point(place),
                "distance_type": "arc",
            }
        }
        if query.radius_km and place is not None
        else None
    )
    areas = delivery_areas(query, place)
    covers = {"terms": {"area_ids": list(areas)}} if areas is not None else None
    if near and covers:
        return {"bool": {"should": [near, covers], "minimum_should_match": 1}}
    return near or covers


def _reach_filter(query: SearchQuery, place: Place | None) -> dict[str, Any] | None:
    """Local, or (with ``include_remote``) delivered remotely."""
    local = _local_filter(query, place)
    if local is None or not query.include_remote:
        return local
    remote = {"term": {"delivery_modes": REMOTE}}
    return {"bool": {"should": [local, remote], "minimum_should_match": 1}}


def _need_filter(query: SearchQuery) -> dict[str, Any] | None:
    if not query.need_weights:
        return None
    codes = sorted({weight.code for weight in query.need_weights})
    return {"terms": {"listed_need_codes": codes}}


def _need_coverage_clauses(query: SearchQuery, place: Place | None) -> list[dict[str, Any]]:
    """``should`` clauses whose scores add up to the need coverage, plus
    ``LOCAL_TIE_BREAK`` for a local service: per need a ``dis_max`` (the best weight
    among the codes the service lists) of one ``constant_score`` per weight."""
    codes_by_need: dict[str, dict[int, list[str]]] = {}
    for weight in query.need_weights:
        codes_by_need.setdefault(weight.need, {}).setdefault(weight.weight, []).append(weight.code)
    clauses: list[dict[str, Any]] = [
        {
            "dis_max": {
                "queries": [
                    {
                        "constant_score": {
                            "filter": {"terms": {"listed_need_codes": sorted(codes)}},
                            "boost": value,
                        }
                    }
                    for value, codes in sorted(weights.items(), reverse=True)
                ]
            }
        }
        for _, weights in sorted(codes_by_need.items())
    ]
    local = _local_filter(query, place)
    if local is not None:
        clauses.append({"constant_score": {"filter": local, "boost": LOCAL_TIE_BREAK}})
    return clauses


def _base_filters(query: SearchQuery, place: Place | None) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if query.published_only:
        filters.append({"term": {"status": "published"}})
    if query.verified_only:
        filters.append({"term": {"organisation_verified": True}})
    if query.age is not None:
        filters.append({"range": {"min_age": {"lte": query.age}}})
        filters.append({"range": {"max_age": {"gte": query.age}}})
    if query.max_waiting_days is not None:
        filters.append({"range": {"waiting_days": {"lte": query.max_waiting_days}}})
    for clause in (_reach_filter(query, place), _need_filter(query)):
        if clause is not None:
            filters.append(clause)
    return filters


def _facet_filters(query: SearchQuery) -> dict[str, dict[str, Any]]:
    filters: dict[str, dict[str, Any]] = {}
    for facet in FACETS:
        chosen = facet_rules.selected(query, facet)
        if not chosen:
            continue
        if facet.kind == FacetKind.ALL:
            filters[facet.name] = {
                "bool": {"filter": [{"term": {facet.index_field: v}} for v in chosen]}
            }
        else:
            filters[facet.name] = {"terms": {facet.index_field: list(match_values(facet, chosen))}}
    return filters


def _sort(query: SearchQuery, place: Place | None) -> list[Any]:
    nearest = (
        [
            {
                "_geo_distance": {
                    "points": _point(place),
                    "order": "asc",
                    "unit": "m",
                    "mode": "min",
                    "distance_type": "arc",
                }
            }
        ]
        if place is not None
        else []
    )
    sort = query.effective_sort()
    keys: list[Any]
    if sort == Sort.RELEVANCE:
        keys = ["_score", *nearest]
    elif sort == Sort.DISTANCE:
        keys = nearest
    elif sort == Sort.RATING:
        keys = [
            {"rating_score": {"order": "desc", "missing": "_last"}},
            {"rating_count": {"order": "desc"}},
            *nearest,
        ]
    elif sort == Sort.WAITING_TIME:
        keys = [{"waiting_days": {"order": "asc", "missing": "_last"}}, *nearest]
    elif sort == Sort.NEED_COVERAGE:
        keys = ["_score"]  # need coverage, local ones first among equals
    else:
        keys = [{"name.sort": {"order": "asc"}}]
    return [*keys, {"id": {"order": "asc"}}]


def build_search_body(query: SearchQuery, place: Place | None) -> dict[str, Any]:
    """The ``_search`` request body for ``query`` around ``place``."""
    boolean: dict[str, Any] = {"filter": _base_filters(query, place)}
    by_need_coverage = query.effective_sort() == Sort.NEED_COVERAGE
    if by_need_coverage:
        boolean["should"] = _need_coverage_clauses(query, place)
    if query.text:
        text_query = {
            "simple_query_string": {
                "query": query.text,
                "fields": TEXT_FIELDS,
                "default_operator": "and",
            }
        }
        if by_need_coverage:
            # Ordered by need coverage, the text only filters: its score must not add up.
            boolean["filter"].append(text_query)
        else:
            boolean["must"] = [text_query]
    facet_filters = _facet_filters(query)
    aggregations = {
        facet.name: {
            "filter": {
                "bool": {
                    "filter": [
                        clause
                        for name, clause in facet_filters.items()
                        if counted_with(facet, _by_name(name))
                    ]
                }
            },
            "aggs": {"values": {"terms": {"field": facet.index_field, "size": FACET_SIZE}}},
        }
        for facet in FACETS
    }
    body: dict[str, Any] = {
        "query": {"bool": boolean},
        **({"aggs": aggregations} if query.count_facets else {}),
        "sort": _sort(query, place),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "_source": BRIEF_SOURCE_FIELDS if query.brief_hits else SOURCE_FIELDS,
    }
    if facet_filters:
        body["post_filter"] = {"bool": {"filter": list(facet_filters.values())}}
    if query.text:
        body["highlight"] = {
            "pre_tags": [MARK_START],
            "post_tags": [MARK_END],
            "fields": {
                "summary": {"number_of_fragments": 0},
                "description": {"fragment_size": 120, "number_of_fragments": 2},
            },
        }
    return body


def _by_name(name: str) -> facet_rules.FacetField:
    return next(facet for facet in FACETS if facet.name == name)


def _location(location: Mapping[str, Any], place: Place | None) -> LocationHit:
    hidden = location["hidden"]
    distance = (
        arc_distance_km(place.point.lat, place.point.lon, location["lat"], location["lon"])
        if place is not None
        else None
    )
    return LocationHit(
        id=location["id"],
        name=location["name"],
        town=location["town"],
        postcode=location["postcode"],
        hidden=hidden,
        lat=None if hidden else location["lat"],
        lon=None if hidden else location["lon"],
        area_name=location["area_name"],
        distance_km=shown_distance_km(distance, hidden),
    )


def hit_from_source(
    source: Mapping[str, Any],
    highlight: Mapping[str, list[str]] | None,
    score: float | None,
    place: Place | None,
) -> Hit:
    """A hit from one search hit's ``_source`` (and highlight); distances are computed
    here from the location positions, on the same sphere as the ``arc`` sort."""
    locations = sorted(
        (_location(loc, place) for loc in source["locations"]),
        key=lambda loc: (loc.distance_km is None, loc.distance_km or 0.0, loc.id),
    )
    distances = [loc.distance_km for loc in locations if loc.distance_km is not None]
    ages = age_limits(source["min_age"], source["max_age"])
    fragments = [*(highlight or {}).get("summary", []), *(highlight or {}).get("description", [])]
    return Hit(
        service_id=source["id"],
        name=source["name"],
        summary=source["summary"],
        organisation_id=source["organisation_id"],
        organisation_name=source["organisation_name"],
        organisation_verified=source["organisation_verified"],
        needs=tuple(NeedTag(n["code"], n["name"]) for n in source["needs"]),
        delivery_modes=tuple(source["delivery_modes"]),
        capacity=source["capacity"],
        places_left=source["places_left"],
        waiting_days=source["waiting_days"],
        rating=source["rating"],
        rating_count=source["rating_count"],
        min_age=ages[0],
        max_age=ages[1],
        distance_km=min(distances) if distances else None,
        locations=tuple(locations),
        highlights=tuple(parse_highlight(f) for f in fragments if MARK_START in f),
        score=score,
    )


def brief_hit(source: Mapping[str, Any], place: Place | None) -> Hit:
    """A ``Hit.brief`` from a source of ``BRIEF_SOURCE_FIELDS``."""
    distances = [
        loc.distance_km
        for loc in (_location(location, place) for location in source["locations"])
        if loc.distance_km is not None
    ]
    return Hit.brief(source["id"], min(distances) if distances else None)


def parse_search_response(
    response: Mapping[str, Any], place: Place | None, *, brief: bool = False
) -> tuple[list[Hit], int, dict[str, dict[str, int]]]:
    """Hits, total and raw facet buckets ({facet: {value: count}}) from a response; with
    ``brief``, hits as ``Hit.brief`` (the source then holds only the fields of
    ``BRIEF_SOURCE_FIELDS``)."""
    hits = [
        brief_hit(hit["_source"], place)
        if brief
        else hit_from_source(hit["_source"], hit.get("highlight"), hit.get("_score"), place)
        for hit in response["hits"]["hits"]
    ]
    buckets = {
        name: {
            str(bucket["key"]): bucket["doc_count"] for bucket in aggregation["values"]["buckets"]
        }
        for name, aggregation in response.get("aggregations", {}).items()
    }
    return hits, response["hits"]["total"]["value"], buckets
