"""The index follows the directory on its own: every change that alters search results writes
an outbox row in the same transaction, and a job applies it after the commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, g
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import delete, func, select, update

from marketplace.directory.models import Location, Service
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.organisations.models import VerificationStatus
from search.elastic.mapping import MAPPINGS, SETTINGS
from search.engine import find_services
from search.jobs import drain_index_outbox
from search.models import IndexOutbox, ServiceSearch, ServiceSearchPending
from search.query import SearchQuery
from tests.factories import LocationFactory, OrganisationFactory, ServiceFactory, point
from tests.search.fake_elasticsearch import FakeElasticsearch, fake_client

INDEX = "pathways-sync-test"


def outbox(service_id: int) -> list[IndexOutbox]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(IndexOutbox).where(IndexOutbox.service_id == service_id).order_by(IndexOutbox.id)
        )
    )


def pending_ids() -> set[int]:
    db.session.expire_all()
    return set(
        db.session.scalars(select(IndexOutbox.service_id).where(IndexOutbox.processed_at.is_(None)))
    )


@pytest.fixture
def elasticsearch(app: Flask) -> Iterator[FakeElasticsearch]:
    """The Elasticsearch backend configured, on the in-memory fake."""
    server = FakeElasticsearch()
    client = fake_client(server)
    client.indices.create(index=f"{INDEX}-v1", settings=SETTINGS, mappings=MAPPINGS)
    client.indices.update_aliases(actions=[{"add": {"index": f"{INDEX}-v1", "alias": INDEX}}])
    app.config.update(ELASTICSEARCH_URL="http://search.test:9200", ELASTICSEARCH_INDEX=INDEX)
    app.extensions["elasticsearch"] = client
    try:
        yield server
    finally:
        app.extensions.pop("elasticsearch")
        app.config.update(ELASTICSEARCH_URL=None, ELASTICSEARCH_INDEX="pathways-services")


def indexed(server: FakeElasticsearch) -> dict[str, dict]:
    return server.indices[f"{INDEX}-v1"]["docs"]


def test_a_new_service_is_queued_and_processed_after_commit_without_elasticsearch() -> None:
    service = ServiceFactory()

    commit()

    rows = outbox(service.id)
    assert [row.reason for row in rows] == ["service created"]
    assert rows[0].processed_at is not None  # no Elasticsearch: the job just marks it done


def test_nothing_is_queued_when_the_transaction_rolls_back() -> None:
    service = ServiceFactory()
    service_id = service.id
    db.session.rollback()

    assert outbox(service_id) == []


def test_a_changed_service_reaches_elasticsearch_after_commit(
    elasticsearch: FakeElasticsearch,
) -> None:
    service = ServiceFactory(name="Old name")
    commit()
    service.name = "Housing first"

    commit()

    assert indexed(elasticsearch)[str(service.id)]["name"] == "Housing first"
    assert all(row.processed_at is not None for row in outbox(service.id))


def test_moving_a_location_reindexes_every_service_delivered_there(
    elasticsearch: FakeElasticsearch,
) -> None:
    location = LocationFactory()
    first = ServiceFactory(organisation=location.organisation, at=location)
    second = ServiceFactory(organisation=location.organisation, at=location)
    commit()

    location.point = point(53.483471, -2.231184)
    commit()

    for service in (first, second):
        assert outbox(service.id)[-1].reason == "location changed"
        assert indexed(elasticsearch)[str(service.id)]["points"] == [
            {"lat": pytest.approx(53.483471), "lon": pytest.approx(-2.231184)}
        ]


def test_deleting_a_location_reindexes_the_services_that_used_it() -> None:
    location = LocationFactory()
    service = ServiceFactory(organisation=location.organisation, at=location)
    commit()

    db.session.delete(db.session.get(Location, location.id))
    commit()

    assert outbox(service.id)[-1].reason == "location or organisation deleted"


def test_suspending_an_organisation_removes_its_services_from_search(
    elasticsearch: FakeElasticsearch,
) -> None:
    organisation = OrganisationFactory()
    services = [ServiceFactory(organisation=organisation) for _ in range(2)]
    commit()
    assert find_services(SearchQuery()).total == 2

    organisation.status = VerificationStatus.SUSPENDED
    commit()

    for service in services:
        assert outbox(service.id)[-1].reason == "organisation changed"
    result = find_services(SearchQuery())
    assert (result.backend, result.total) == ("elasticsearch", 0)


def test_a_capacity_change_by_bulk_update_is_noticed(elasticsearch: FakeElasticsearch) -> None:
    service = ServiceFactory(capacity=1, places_taken=0)
    commit()

    # The concurrency-safe way to take a place: a conditional UPDATE, no flush involved.
    db.session.execute(
        update(Service)
        .where(Service.id == service.id, Service.places_taken < Service.capacity)
        .values(places_taken=Service.places_taken + 1)
    )
    commit()

    assert outbox(service.id)[-1].reason == "bulk update"
    assert indexed(elasticsearch)[str(service.id)]["capacity"] == "full"


def test_deleting_a_service_deletes_its_document(elasticsearch: FakeElasticsearch) -> None:
    service = ServiceFactory()
    commit()
    assert str(service.id) in indexed(elasticsearch)

    db.session.execute(delete(Service).where(Service.id == service.id))
    commit()

    assert str(service.id) not in indexed(elasticsearch)


def test_with_elasticsearch_down_updates_wait_in_the_outbox_then_drain(
    elasticsearch: FakeElasticsearch,
) -> None:
    elasticsearch.fail = "timeout"
    service = ServiceFactory(name="Recovery café")

    commit()  # the change itself commits; only indexing waits

    assert service.id in pending_ids()
    elasticsearch.fail = None
    assert drain_index_outbox() >= 1
    assert pending_ids() == set()
    assert indexed(elasticsearch)[str(service.id)]["name"] == "Recovery café"


def test_with_redis_down_updates_wait_in_the_outbox(app: Flask) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        service = ServiceFactory()
        commit()
        assert service.id in pending_ids()
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)
    drain_index_outbox()
    assert pending_ids() == set()


def test_the_index_job_goes_through_redis_to_a_worker(app: Flask, redis_url: str) -> None:
    app.config["REDIS_URL"] = redis_url
    try:
        service = ServiceFactory()
        commit()
        connection = Redis.from_url(redis_url)
        queue = Queue("search", connection=connection)
        assert queue.count == 1
        assert service.id in pending_ids()

        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)
    assert pending_ids() == set()


def test_postgresql_text_search_is_right_straight_after_a_rename(postcodes: dict) -> None:
    organisation = OrganisationFactory(name="Community Charity")
    service = ServiceFactory(organisation=organisation, need_codes=["ete.employment"])
    commit()
    assert find_services(SearchQuery(text="Brighter Futures")).total == 0

    organisation.name = "Brighter Futures Trust"
    commit()

    found = find_services(SearchQuery(text="brighter futures"))
    assert [hit.service_id for hit in found.hits] == [service.id]
    # Need names are searchable too, stemmed: "work" finds "Finding work".
    assert find_services(SearchQuery(text="working")).total == 1


def test_documents_refresh_once_per_service_and_before_a_search_in_the_same_transaction(
    postcodes: dict,
) -> None:
    service = ServiceFactory(need_codes=["ete.employment", "finance.debt", "finance.benefits"])
    noted = db.session.scalar(
        select(func.count())
        .select_from(ServiceSearchPending)
        .where(ServiceSearchPending.service_id == service.id)
    )
    assert noted >= 2  # noted per row written, refreshed later

    found = find_services(SearchQuery(text="debt benefits"))

    assert [hit.service_id for hit in found.hits] == [service.id]
    assert db.session.scalar(select(func.count()).select_from(ServiceSearchPending)) == 0
    document = db.session.get(ServiceSearch, service.id)
    assert document.need_codes == [
        "ete",
        "ete.employment",
        "finance",
        "finance.benefits",
        "finance.debt",
    ]


def test_moving_a_location_moves_its_services_in_postgresql_search(postcodes: dict) -> None:
    location = LocationFactory(point=point(51.501009, -0.141588))  # Westminster
    service = ServiceFactory(organisation=location.organisation, at=location)
    commit()
    near_piccadilly = SearchQuery(postcode="M1 1AE", radius_km=10)
    assert find_services(near_piccadilly).total == 0

    location.point = point(53.484101, -2.235754)  # Ancoats
    commit()

    assert [hit.service_id for hit in find_services(near_piccadilly).hits] == [service.id]
    db.session.delete(db.session.get(Location, location.id))
    commit()
    assert find_services(near_piccadilly).total == 0
