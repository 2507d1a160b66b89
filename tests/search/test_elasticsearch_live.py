"""Against a live Elasticsearch, when ELASTICSEARCH_URL is set for the test run (otherwise
these tests are deselected; see tests/conftest.py): the mapping is accepted, the recorded requests are valid, and a
full reindex swaps the alias. The behaviour tests also run on the live server then."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from flask import Flask
from redis import Redis

from search.elastic.indexing import reindex
from search.engine import find_services
from search.query import SearchQuery
from tests.factories import ServiceFactory

pytestmark = [
    pytest.mark.elasticsearch,
]


@pytest.fixture
def live(app: Flask) -> Iterator[Elasticsearch]:
    client = Elasticsearch(os.environ["PATHWAYS_LIVE_ELASTICSEARCH_URL"], request_timeout=30)
    alias = f"pathways-live-{uuid.uuid4().hex[:10]}"
    app.config.update(
        ELASTICSEARCH_URL=os.environ["PATHWAYS_LIVE_ELASTICSEARCH_URL"], ELASTICSEARCH_INDEX=alias
    )
    app.extensions["elasticsearch"] = client
    try:
        yield client
    finally:
        if client.indices.exists_alias(name=alias):
            for index in client.indices.get_alias(name=alias).body:
                client.indices.delete(index=index)
        app.extensions.pop("elasticsearch")
        app.config.update(ELASTICSEARCH_URL=None, ELASTICSEARCH_INDEX="pathways-services")


def test_reindex_then_search_on_a_live_server(
    live: Elasticsearch, redis_url: str, postcodes: dict
) -> None:
    services = [ServiceFactory(name=f"Housing advice {n}") for n in range(3)]

    first = reindex(Redis.from_url(redis_url))
    second = reindex(Redis.from_url(redis_url))

    assert second.replaced == (first.index,)
    assert not live.indices.exists(index=first.index)
    result = find_services(SearchQuery(text="housing"))
    assert (result.backend, result.fallback_reason) == ("elasticsearch", None)
    assert sorted(hit.service_id for hit in result.hits) == sorted(s.id for s in services)
    assert all(hit.highlights or not hit.summary for hit in result.hits)
