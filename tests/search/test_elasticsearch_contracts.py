"""The Elasticsearch backend against recorded contracts: the exact JSON we send, and a
realistic response that we must parse correctly. The official client runs for real; only
the network node underneath is replaced (tests.search.fake_elasticsearch)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from search.elastic import backend, indexing
from search.parser import parse_search_args
from search.query import NeedWeight, Place, Point, SearchQuery, Sort
from tests.search.fake_elasticsearch import FakeElasticsearch, fake_client

CONTRACTS = Path(__file__).with_name("contracts")


def contract(name: str) -> dict[str, Any]:
    return json.loads((CONTRACTS / name).read_text())


@pytest.fixture
def server(app: Flask) -> Iterator[FakeElasticsearch]:
    fake = FakeElasticsearch()
    app.extensions["elasticsearch"] = fake_client(fake)
    app.config.update(ELASTICSEARCH_URL="http://search.test:9200")
    try:
        yield fake
    finally:
        app.extensions.pop("elasticsearch")
        app.config.update(ELASTICSEARCH_URL=None)


def _place(recorded: dict[str, Any] | None) -> Place | None:
    if recorded is None:
        return None
    point = Point(recorded["lat"], recorded["lon"])
    return Place(point, recorded["label"], tuple(recorded["area_ids"]))


@pytest.mark.parametrize(
    "name", ["search_near_postcode_with_facets.json", "search_text_relevance.json"]
)
def test_search_sends_the_recorded_request_and_parses_the_recorded_response(
    server: FakeElasticsearch, name: str
) -> None:
    recorded = contract(name)
    server.canned["_search"] = (recorded["response"]["status"], recorded["response"]["body"])
    query = parse_search_args(recorded["query_string"])

    result = backend.search(query, _place(recorded["place"]))

    sent = server.requests[-1]
    assert (sent.method, sent.path) == (recorded["request"]["method"], recorded["request"]["path"])
    assert sent.body == recorded["request"]["body"]
    want = recorded["expected"]
    assert (result.backend, result.total) == ("elasticsearch", want["total"])
    assert [hit.service_id for hit in result.hits] == [h["service_id"] for h in want["hits"]]
    for hit, wanted in zip(result.hits, want["hits"], strict=True):
        assert hit.distance_km == pytest.approx(wanted["distance_km"], abs=1e-3)
        if "locations" in wanted:
            got = [
                {"id": loc.id, "hidden": loc.hidden, "lat": loc.lat, "distance_km": loc.distance_km}
                for loc in hit.locations
            ]
            assert got == [
                {**loc, "distance_km": pytest.approx(loc["distance_km"], abs=1e-3)}
                for loc in wanted["locations"]
            ]
        if "highlights" in wanted:
            assert [[[s.text, s.matched] for s in h] for h in hit.highlights] == wanted[
                "highlights"
            ]
            assert hit.score == wanted["score"]
    for facet, counts in want["facets"].items():
        got = {v.value: v.count for v in result.facets[facet].values if v.count}
        assert got == counts, facet


def _matching_query(recorded: dict[str, Any]) -> SearchQuery:
    """The query of a contract made by matching, which no query string can express."""
    fields = dict(recorded)
    return SearchQuery(
        **{
            **fields,
            "point": Point(**fields["point"]),
            "area_ids": tuple(fields["area_ids"]),
            "need_weights": tuple(NeedWeight(*weight) for weight in fields["need_weights"]),
            "sort": Sort(fields["sort"]),
        }
    )


def test_matchings_reach_search_sends_the_recorded_request_and_parses_the_response(
    server: FakeElasticsearch,
) -> None:
    recorded = contract("search_reach_by_need_coverage.json")
    server.canned["_search"] = (200, recorded["response"]["body"])

    result = backend.search(_matching_query(recorded["query"]), _place(recorded["place"]))

    sent = server.requests[-1]
    assert (sent.method, sent.path) == (recorded["request"]["method"], recorded["request"]["path"])
    assert sent.body == recorded["request"]["body"]
    want = recorded["expected"]
    assert result.total == want["total"]
    assert [hit.service_id for hit in result.hits] == [h["service_id"] for h in want["hits"]]
    for hit, wanted in zip(result.hits, want["hits"], strict=True):
        if wanted["distance_km"] is None:
            assert hit.distance_km is None
        else:
            assert hit.distance_km == pytest.approx(wanted["distance_km"], abs=1e-3)
    assert not any(value.count for facet in result.facets.values() for value in facet.values)


def test_the_fake_orders_the_recorded_reach_search_as_the_recorded_response_does(
    server: FakeElasticsearch, app: Flask
) -> None:
    """The fake's scoring (used by the behaviour tests) agrees with the recorded scores:
    its documents are the recorded hits, plus the fields the request filters on."""
    recorded = contract("search_reach_by_need_coverage.json")
    listed = {412: ["accommodation.homeless", "ete"], 530: ["accommodation", "ete.employment"]}
    listed |= {388: ["accommodation.homeless"], 640: ["accommodation"]}
    areas = {412: [12], 530: [], 388: [], 640: [31]}
    modes = {412: ["in_person"], 530: ["remote"], 388: ["in_person"], 640: ["remote"]}
    server.indices["pathways-services-v1"] = {"mappings": {}, "docs": {}}
    server.aliases["pathways-services"] = {"pathways-services-v1"}
    for hit in recorded["response"]["body"]["hits"]["hits"]:
        source = hit["_source"]
        server.indices["pathways-services-v1"]["docs"][hit["_id"]] = {
            **source,
            "status": "published",
            "organisation_verified": True,
            "delivery_modes": modes[source["id"]],
            "listed_need_codes": listed[source["id"]],
            "area_ids": areas[source["id"]],
            "points": [{"lat": loc["lat"], "lon": loc["lon"]} for loc in source["locations"]],
        }

    answer = server._search(["pathways-services-v1"], recorded["request"]["body"])

    assert [(h["_id"], h["_score"]) for h in answer["hits"]["hits"]] == [
        (h["_id"], h["_score"]) for h in recorded["response"]["body"]["hits"]["hits"]
    ]


def test_a_hidden_location_keeps_its_position_out_of_the_result(server: FakeElasticsearch) -> None:
    recorded = contract("search_near_postcode_with_facets.json")
    server.canned["_search"] = (200, recorded["response"]["body"])

    result = backend.search(parse_search_args(recorded["query_string"]), _place(recorded["place"]))

    hidden = [loc for hit in result.hits for loc in hit.locations if loc.hidden]
    assert hidden and all((loc.lat, loc.lon, loc.postcode) == (None, None, "") for loc in hidden)


def test_incremental_sync_sends_the_recorded_bulk_request(
    server: FakeElasticsearch, monkeypatch: pytest.MonkeyPatch, app: Flask
) -> None:
    recorded = contract("bulk_sync.json")
    row = {
        **recorded["row"],
        "rating_sum": Decimal(recorded["row"]["rating_sum"]),
        "updated_at": datetime.fromisoformat(recorded["row"]["updated_at"]),
    }
    monkeypatch.setattr(indexing, "load_rows", lambda ids: iter([row] if 7 in ids else []))
    server.canned["_bulk"] = (200, recorded["response"]["body"])

    applied = indexing.sync_services([7, 9])

    sent = server.requests[-1]
    assert (sent.method, sent.path) == (recorded["request"]["method"], recorded["request"]["path"])
    assert sent.body == recorded["request"]["body"]
    assert applied == recorded["expected"]["applied"]


def test_a_failed_bulk_item_is_reported_not_ignored(
    server: FakeElasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "load_rows", lambda ids: iter([]))
    server.canned["_bulk"] = (
        200,
        {
            "errors": True,
            "took": 1,
            "items": [
                {
                    "delete": {
                        "_index": "pathways-services-v1",
                        "_id": "9",
                        "status": 429,
                        "error": {
                            "type": "es_rejected_execution_exception",
                            "reason": "queue full",
                        },
                    }
                }
            ],
        },
    )

    with pytest.raises(indexing.SearchUnavailable, match="es_rejected_execution_exception"):
        indexing.sync_services([9])
