"""Search fixtures: real postcodes, a hand-made directory and a random one."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.directory.models import Service
from marketplace.extensions import db
from search.elastic.indexing import sync_services
from search.elastic.mapping import MAPPINGS, SETTINGS
from tests.search.directory import RandomDirectory, build_random_directory
from tests.search.fake_elasticsearch import FakeElasticsearch, fake_client
from tests.search.places import POSTCODES, add_postcodes


@pytest.fixture
def postcodes() -> dict[str, tuple[float, float, str]]:
    """Every postcode in tests.search.places, plus the "M1" district centroid."""
    add_postcodes()
    return POSTCODES


class PostgresBackend:
    name = "postgresql"

    def refresh(self) -> None:
        """PostgreSQL reads live tables: nothing to do."""


class ElasticsearchBackend:
    """The real Elasticsearch backend, on the in-memory fake or a live server."""

    name = "elasticsearch"

    def __init__(self, app: Flask, client: Any, index: str) -> None:
        self.app, self.client, self.index = app, client, index
        self.saved = {
            key: app.config.get(key) for key in ("ELASTICSEARCH_URL", "ELASTICSEARCH_INDEX")
        }
        app.config["ELASTICSEARCH_URL"] = "http://search.test:9200"
        app.config["ELASTICSEARCH_INDEX"] = index
        app.extensions["elasticsearch"] = client
        self.client.indices.create(index=f"{index}-v1", settings=SETTINGS, mappings=MAPPINGS)
        self.client.indices.update_aliases(
            actions=[{"add": {"index": f"{index}-v1", "alias": index}}]
        )

    def refresh(self) -> None:
        """Index every service through the real bulk path, as the outbox job would."""
        sync_services(list(db.session.scalars(select(Service.id))))
        self.client.indices.refresh(index=self.index)

    def close(self) -> None:
        for name in self.client.indices.get_alias(name=self.index).body:
            self.client.indices.delete(index=name)
        self.app.extensions.pop("elasticsearch", None)
        self.app.config.update(self.saved)


@pytest.fixture
def fake_elasticsearch() -> FakeElasticsearch:
    return FakeElasticsearch()


# The live server joins the behaviour tests only when there is one (tests.search.
# test_elasticsearch_live says so, with a clear skip, when there is not).
BACKENDS = ["postgresql", "elasticsearch"] + (
    [pytest.param("elasticsearch-live", marks=pytest.mark.elasticsearch)]
    if os.environ.get("PATHWAYS_LIVE_ELASTICSEARCH_URL")
    else []
)


@pytest.fixture(params=BACKENDS)
def search_backend(
    request: pytest.FixtureRequest, app: Flask, fake_elasticsearch: FakeElasticsearch
) -> Iterator[object]:
    """Each backend in turn; ``refresh()`` makes what is in the database searchable.
    "elasticsearch" runs the real backend on the in-memory fake, "elasticsearch-live" on
    the server at ELASTICSEARCH_URL (skipped when it is not set)."""
    if request.param == "postgresql":
        yield PostgresBackend()
        return
    if request.param == "elasticsearch-live":
        from elasticsearch import Elasticsearch

        client = Elasticsearch(os.environ["PATHWAYS_LIVE_ELASTICSEARCH_URL"], request_timeout=30)
    else:
        client = fake_client(fake_elasticsearch)
    backend = ElasticsearchBackend(app, client, f"pathways-test-{uuid.uuid4().hex[:10]}")
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture
def random_directory(postcodes: dict, search_backend: Any) -> RandomDirectory:
    """Sixty services with random attributes around Greater Manchester (seeded)."""
    directory = build_random_directory(random.Random(20261123), services=60)
    search_backend.refresh()
    return directory
