"""Running Elasticsearch: falling back to PostgreSQL when it fails, and the full reindex
that builds a new versioned index and swaps the alias under a Redis lock."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask, g
from redis import Redis

from marketplace.extensions import db
from marketplace.jobs import commit
from search.elastic import indexing
from search.elastic.indexing import LOCK_NAME, ReindexInProgress, reindex
from search.elastic.mapping import MAPPINGS, SETTINGS
from search.engine import find_services
from search.query import SearchQuery
from tests.factories import ServiceFactory
from tests.search.fake_elasticsearch import FakeElasticsearch, fake_client

ALIAS = "pathways-ops-test"


@pytest.fixture
def server(app: Flask) -> Iterator[FakeElasticsearch]:
    fake = FakeElasticsearch()
    app.extensions["elasticsearch"] = fake_client(fake)
    app.config.update(ELASTICSEARCH_URL="http://search.test:9200", ELASTICSEARCH_INDEX=ALIAS)
    try:
        yield fake
    finally:
        app.extensions.pop("elasticsearch")
        app.config.update(ELASTICSEARCH_URL=None, ELASTICSEARCH_INDEX="pathways-services")


@pytest.mark.parametrize("failure", ["timeout", "error"])
def test_search_answers_from_postgresql_when_elasticsearch_fails(
    server: FakeElasticsearch, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = ServiceFactory()
    server.fail = failure

    with caplog.at_level(logging.WARNING, logger="search.engine"):
        result = find_services(SearchQuery())

    assert [hit.service_id for hit in result.hits] == [service.id]
    assert result.backend == "postgresql"
    assert result.fallback_reason
    assert "searching PostgreSQL instead" in caplog.text
    assert any(r.path.endswith("/_search") for r in server.requests)  # it did ask first


def test_reindex_builds_a_new_index_and_swaps_the_alias(
    server: FakeElasticsearch, redis_url: str
) -> None:
    client = fake_client(server)
    client.indices.create(index=f"{ALIAS}-vold", settings=SETTINGS, mappings=MAPPINGS)
    client.indices.update_aliases(actions=[{"add": {"index": f"{ALIAS}-vold", "alias": ALIAS}}])
    services = [ServiceFactory() for _ in range(3)]

    report = reindex(Redis.from_url(redis_url))

    assert report.documents == 3
    assert report.replaced == (f"{ALIAS}-vold",)
    assert server.aliases[ALIAS] == {report.index}
    assert f"{ALIAS}-vold" not in server.indices
    assert sorted(server.indices[report.index]["docs"]) == sorted(str(s.id) for s in services)
    swap = [r for r in server.requests if r.path == "/_aliases"][-1]
    assert swap.body["actions"] == [  # one atomic call: remove the old, add the new
        {"remove": {"index": f"{ALIAS}-vold", "alias": ALIAS}},
        {"add": {"index": report.index, "alias": ALIAS}},
    ]
    assert find_services(SearchQuery()).total == 3


def test_a_second_reindex_is_refused_while_one_holds_the_lock(
    server: FakeElasticsearch, redis_url: str
) -> None:
    redis = Redis.from_url(redis_url)
    held = redis.lock(LOCK_NAME, timeout=30)
    assert held.acquire(blocking=False)
    try:
        with pytest.raises(ReindexInProgress):
            reindex(redis)
        assert not any(r.method == "PUT" for r in server.requests)
    finally:
        held.release()


def test_changes_committed_during_a_reindex_reach_the_new_index(
    server: FakeElasticsearch,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    app: Flask,
) -> None:
    client = fake_client(server)
    client.indices.create(index=f"{ALIAS}-vold", settings=SETTINGS, mappings=MAPPINGS)
    client.indices.update_aliases(actions=[{"add": {"index": f"{ALIAS}-vold", "alias": ALIAS}}])
    service = ServiceFactory(name="Before")
    commit()
    building = indexing.documents

    def documents_then_an_edit(service_ids=None):  # noqa: ANN001, ANN202
        yield from building(service_ids)
        if service_ids is None:  # the full build has read everything: now someone edits
            db.session.get(type(service), service.id).name = "After"
            commit()

    monkeypatch.setattr(indexing, "documents", documents_then_an_edit)

    report = reindex(Redis.from_url(redis_url))

    assert report.caught_up == 1
    assert server.indices[report.index]["docs"][str(service.id)]["name"] == "After"


def test_the_reindex_command_explains_what_it_needs(app: Flask) -> None:
    runner = app.test_cli_runner()

    result = runner.invoke(args=["search", "reindex"])

    assert result.exit_code != 0
    assert "ELASTICSEARCH_URL is not set" in result.output


def test_the_reindex_command_reports_what_it_did(
    app: Flask, server: FakeElasticsearch, redis_url: str
) -> None:
    ServiceFactory()
    app.config["REDIS_URL"] = redis_url
    try:
        result = app.test_cli_runner().invoke(args=["search", "reindex"])
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)

    assert result.exit_code == 0, result.output
    assert "Indexed 1 services into pathways-ops-test-v" in result.output


def test_the_drain_command_processes_waiting_updates(app: Flask) -> None:
    ServiceFactory()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        commit()
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)

    result = app.test_cli_runner().invoke(args=["search", "drain"])

    assert result.exit_code == 0
    assert "Processed 1 index update(s)." in result.output
