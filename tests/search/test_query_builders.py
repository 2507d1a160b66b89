"""The pure parts of both backends: SQL and Elasticsearch query building, facet folding,
documents and highlights, checked without a database or a server."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql

from search.elastic.documents import build_document
from search.elastic.query import build_search_body
from search.facets import (
    ACCESSIBILITY,
    DELIVERY_MODE,
    EVERYONE,
    GENDER,
    NEED,
    counted_with,
    fold,
)
from search.postgres import build_statement
from search.query import NeedWeight, Place, Point, SearchQuery, Sort
from search.results import Segment, parse_highlight, shown_distance_km

MANCHESTER = Place(Point(53.483471, -2.231184), "M1 1AE", (7, 3, 1))


def sql(query: SearchQuery, place: Place | None = MANCHESTER) -> str:
    return str(build_statement(query, place)[0].compile(dialect=postgresql.dialect()))


def test_a_radius_uses_the_indexed_st_dwithin_and_sphere_distances() -> None:
    statement = sql(SearchQuery(postcode="M1 1AE", radius_km=16.093))

    # Each delivery location is its own row in the GiST index; a service is as near as
    # its nearest location.
    assert "ST_DWithin(service_search_point.point, geography(" in statement
    assert "min(CAST(service_search_point.point <-> geography(" in statement
    assert "WHERE nearby.service_id IS NOT NULL AND" in statement


def test_delivers_to_area_keeps_far_services_and_checks_service_areas() -> None:
    statement = sql(SearchQuery(postcode="M1 1AE", radius_km=5, delivers_to_area=True))

    # Either is enough: the services near (found through the GiST index on each delivery
    # location, an outer join) or those delivering to the areas (found once through the
    # area index, then hashed).
    assert "ST_DWithin(service_search_point.point" in statement
    assert (
        "WHERE (nearby.service_id IS NOT NULL OR service_search.service_id IN "
        "(SELECT service_area.service_id" in statement
    )
    assert "service_area.area_id = any(%(area_ids)s::INTEGER[])" in statement


def test_matchings_reach_is_near_or_in_the_areas_or_remote_ordered_by_need_coverage() -> None:
    weights = (NeedWeight("ete", "ete", 4), NeedWeight("ete", "ete.employment", 2))
    statement = sql(
        SearchQuery(
            point=MANCHESTER.point,
            radius_km=25,
            delivers_to_area=True,
            area_ids=(3,),
            include_remote=True,
            need_weights=weights,
            sort=Sort.NEED_COVERAGE,
            count_facets=False,
            brief_hits=True,
        )
    )

    assert (
        "::VARCHAR = ANY (service_search.delivery_modes) OR nearby.service_id IS NOT NULL OR "
        "service_search.service_id IN (SELECT service_area.service_id" in statement
    )
    assert "unnest(%(weight_codes)s::VARCHAR[], %(weight_needs)s::VARCHAR[]" in statement
    assert "ORDER BY matched.need_score DESC, matched.local DESC, matched.id" in statement
    assert "'[]'::json AS facets" in statement
    # Distances only for the page's hits, not for every candidate.
    assert "SELECT service_search.service_id AS id, NULL AS distance_m" in statement


def test_words_are_bound_never_spliced_into_the_sql() -> None:
    statement = sql(SearchQuery(text="'; DROP TABLE service; --"))

    assert "DROP TABLE" not in statement
    assert "websearch_to_tsquery('english'::regconfig" in statement
    assert "service_search.document @@" in statement


def test_facet_counts_come_back_in_the_same_statement() -> None:
    statement = sql(SearchQuery(need_codes=("accommodation",), gender="female"))

    assert statement.count("UNION ALL") == 7  # eight facets, one statement
    assert statement.startswith("WITH candidates AS")


def test_only_all_facets_count_with_their_own_filter() -> None:
    assert not counted_with(NEED, NEED)
    assert not counted_with(GENDER, GENDER)
    assert counted_with(ACCESSIBILITY, ACCESSIBILITY)
    assert counted_with(NEED, DELIVERY_MODE)


def test_elasticsearch_facet_filters_go_in_post_filter_and_other_facets_aggregations() -> None:
    body = build_search_body(
        SearchQuery(need_codes=("ete",), delivery_modes=("remote",), accessibility=("bsl",)),
        None,
    )

    post = body["post_filter"]["bool"]["filter"]
    assert {"terms": {"need_codes": ["ete"]}} in post
    assert {"terms": {"delivery_modes": ["remote"]}} in post
    need_filters = body["aggs"]["need"]["filter"]["bool"]["filter"]
    assert {"terms": {"need_codes": ["ete"]}} not in need_filters
    assert {"terms": {"delivery_modes": ["remote"]}} in need_filters
    accessibility_filters = body["aggs"]["accessibility"]["filter"]["bool"]["filter"]
    assert {"bool": {"filter": [{"term": {"accessibility": "bsl"}}]}} in accessibility_filters
    assert body["query"]["bool"]["filter"] == [
        {"term": {"status": "published"}},
        {"term": {"organisation_verified": True}},
    ]


def test_an_accepts_filter_also_matches_services_open_to_everyone() -> None:
    body = build_search_body(SearchQuery(gender="female", language="pl"), None)

    post = body["post_filter"]["bool"]["filter"]
    assert {"terms": {"genders": ["female", EVERYONE]}} in post
    assert {"terms": {"languages": ["pl", EVERYONE]}} in post


def test_elasticsearch_distance_filter_and_sort_use_the_nearest_location() -> None:
    body = build_search_body(SearchQuery(postcode="M1 1AE", radius_km=16.093), MANCHESTER)

    geo = body["query"]["bool"]["filter"][-1]["geo_distance"]
    assert geo == {
        "distance": "16093m",
        "points": {"lat": 53.483471, "lon": -2.231184},
        "distance_type": "arc",
    }
    assert body["sort"][0]["_geo_distance"]["mode"] == "min"
    assert body["sort"][-1] == {"id": {"order": "asc"}}


def test_radius_or_area_is_one_should_clause() -> None:
    body = build_search_body(
        SearchQuery(postcode="M1 1AE", radius_km=5, delivers_to_area=True), MANCHESTER
    )

    clause = body["query"]["bool"]["filter"][-1]["bool"]
    assert clause["minimum_should_match"] == 1
    assert clause["should"][1] == {"terms": {"area_ids": [7, 3, 1]}}


@pytest.mark.parametrize(
    ("sort", "first_key"),
    [
        (Sort.RATING, {"rating_score": {"order": "desc", "missing": "_last"}}),
        (Sort.WAITING_TIME, {"waiting_days": {"order": "asc", "missing": "_last"}}),
        (Sort.NAME, {"name.sort": {"order": "asc"}}),
    ],
)
def test_sorts_put_unknown_values_last(sort: Sort, first_key: dict) -> None:
    assert build_search_body(SearchQuery(sort=sort), None)["sort"][0] == first_key


def test_text_is_matched_on_every_word_with_highlights() -> None:
    body = build_search_body(SearchQuery(text="housing advice"), None)

    match = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert (match["query"], match["default_operator"]) == ("housing advice", "and")
    assert body["highlight"]["pre_tags"] == ["\u0002"]
    assert body["sort"][0] == "_score"


def test_folding_adds_services_open_to_everyone_to_each_value() -> None:
    facet = fold(GENDER, {"female": 2, EVERYONE: 5}, ["male"])

    counts = {v.value: (v.count, v.selected) for v in facet.values}
    assert counts == {
        "female": (7, False),
        "male": (5, True),
        "non_binary": (5, False),
        "other": (5, False),
    }
    assert [v.value for v in facet.values][0] == "female"  # biggest first


def test_a_selected_value_with_no_services_is_still_listed() -> None:
    facet = fold(NEED, {"ete": 3}, ["accommodation"])

    assert [(v.value, v.count, v.selected) for v in facet.values] == [
        ("ete", 3, False),
        ("accommodation", 0, True),
    ]


def row(**changes: object) -> dict:
    base = {
        "id": 1,
        "name": "Drop-in",
        "summary": "",
        "description": "",
        "status": "published",
        "organisation_id": 2,
        "organisation_name": "Charity",
        "organisation_status": "verified",
        "genders": [],
        "cjs_stages": ["licence"],
        "risk_levels": [],
        "languages": [],
        "interpreter_available": False,
        "accessibility": [],
        "delivery_modes": ["in_person"],
        "min_age": None,
        "max_age": None,
        "capacity": 3,
        "places_taken": 3,
        "capacity_status": "available",
        "waiting_days": None,
        "rating_sum": Decimal("0"),
        "rating_count": 0,
        "updated_at": datetime(2026, 11, 1, tzinfo=UTC),
        "needs": [
            {"code": "accommodation.homeless", "name": "Homeless", "parent_code": "accommodation"}
        ],
        "locations": [
            {
                "id": 5,
                "name": "Refuge",
                "town": "Leeds",
                "postcode": "LS1 4DY",
                "hidden": True,
                "lat": 53.79,
                "lon": -1.54,
                "area_name": "Leeds",
            }
        ],
        "area_ids": [3],
    }
    return {**base, **changes}


def test_a_document_holds_effective_values() -> None:
    document = build_document(row())

    assert document["need_codes"] == ["accommodation", "accommodation.homeless"]
    assert document["genders"] == [EVERYONE]
    assert document["cjs_stages"] == ["licence"]
    assert document["languages"] == ["en"]
    assert document["capacity"] == "full"  # available, but no places left
    assert document["waiting_days"] is None
    assert (document["min_age"], document["max_age"]) == (0, 120)
    assert build_document(row(interpreter_available=True, languages=["pl"]))["languages"] == [
        EVERYONE
    ]


def test_a_hidden_location_keeps_its_point_for_distance_but_loses_its_address() -> None:
    document = build_document(row())

    assert document["points"] == [{"lat": 53.79, "lon": -1.54}]
    assert document["locations"][0] | {} == {
        "id": 5,
        "name": "",
        "town": "",
        "postcode": "",
        "hidden": True,
        "lat": 53.79,
        "lon": -1.54,
        "area_name": "Leeds",
    }


def test_highlights_split_into_matched_and_plain_text() -> None:
    assert parse_highlight("Free \u0002housing\u0003 advice") == (
        Segment("Free ", False),
        Segment("housing", True),
        Segment(" advice", False),
    )
    assert parse_highlight("no match") == (Segment("no match", False),)


@pytest.mark.parametrize(
    ("exact", "hidden", "shown"),
    [(2.345, False, 2.345), (2.345, True, 3.0), (3.0, True, 3.0), (0.01, True, 1.0)],
)
def test_distances_to_hidden_addresses_are_coarsened_upwards(
    exact: float, hidden: bool, shown: float
) -> None:
    assert shown_distance_km(exact, hidden) == shown


def test_queries_of_one_shape_share_one_statement() -> None:
    first, first_values = build_statement(SearchQuery(postcode="M1", gender="male"), MANCHESTER)
    second, second_values = build_statement(
        SearchQuery(postcode="M1", gender="female", page=2), MANCHESTER
    )

    assert first is second
    assert first_values["facet_gender"] == ["male", EVERYONE]
    assert (second_values["facet_gender"], second_values["offset"]) == (["female", EVERYONE], 20)
    other, _ = build_statement(SearchQuery(postcode="M1", language="pl"), MANCHESTER)
    assert other is not first
