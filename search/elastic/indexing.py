"""Writing to Elasticsearch: incremental updates and the full reindex with an alias swap."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import helpers
from redis import Redis
from sqlalchemy import func, select

from marketplace.database import utcnow
from marketplace.extensions import db
from search.elastic.client import CLIENT_ERRORS, SearchUnavailable, alias, client

__all__ = ["ReindexInProgress", "SearchUnavailable", "reindex", "sync_services"]
from search.elastic.documents import build_document, load_rows
from search.elastic.mapping import MAPPINGS, SETTINGS
from search.models import IndexOutbox

log = logging.getLogger(__name__)

LOCK_NAME = "pathways:search:reindex"
LOCK_SECONDS = 60 * 60  # the lock expires on its own if a reindex dies holding it
BULK_CHUNK = 500


class ReindexInProgress(RuntimeError):
    """Another full reindex holds the lock."""


def documents(service_ids: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """Index documents for ``service_ids`` (every service if None), in id order."""
    for row in load_rows(service_ids):
        yield build_document(row)


def _bulk(actions: Iterable[dict[str, Any]]) -> int:
    """Send bulk actions; a delete of a document that is not there is fine, anything else
    that fails raises ``SearchUnavailable``. Returns how many actions succeeded."""
    done = 0
    try:
        for ok, item in helpers.streaming_bulk(
            client(), actions, chunk_size=BULK_CHUNK, raise_on_error=False, max_retries=2
        ):
            operation, detail = next(iter(item.items()))
            if ok or (operation == "delete" and detail.get("status") == 404):
                done += 1
                continue
            raise SearchUnavailable(f"{operation} of service {detail.get('_id')} failed: {detail}")
    except CLIENT_ERRORS as error:
        raise SearchUnavailable(f"{type(error).__name__}: {error}") from error
    return done


def sync_services(service_ids: list[int]) -> int:
    """Bring the documents of ``service_ids`` up to date in the alias: (re)index those
    that exist, delete those that no longer do. Idempotent."""
    target = alias()
    found: set[int] = set()

    def actions() -> Iterator[dict[str, Any]]:
        for document in documents(service_ids):
            found.add(document["id"])
            yield {
                "_op_type": "index",
                "_index": target,
                "_id": document["id"],
                "_source": document,
            }
        for service_id in sorted(set(service_ids) - found):
            yield {"_op_type": "delete", "_index": target, "_id": service_id}

    return _bulk(actions())


@dataclass(frozen=True)
class ReindexReport:
    index: str
    documents: int
    replaced: tuple[str, ...]
    caught_up: int
    seconds: float


def reindex(redis: Redis) -> ReindexReport:
    """Build a new versioned index from the database, then point the alias at it in one
    atomic ``_aliases`` call and drop the indexes it replaced.

    Runs under a Redis lock, so two reindexes never race; raises ``ReindexInProgress`` if
    one is running. Searches keep using the old index until the swap. Changes committed
    while the new index was being built are re-applied to it after the swap (from the
    index outbox), so none is lost.
    """
    lock = redis.lock(LOCK_NAME, timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        raise ReindexInProgress("Another reindex is running")
    started = time.perf_counter()
    try:
        last_outbox_id = db.session.scalar(select(func.max(IndexOutbox.id))) or 0
        target = alias()
        es = client()
        new_index = f"{target}-v{utcnow():%Y%m%d%H%M%S%f}"
        try:
            es.indices.create(index=new_index, settings=SETTINGS, mappings=MAPPINGS)
        except CLIENT_ERRORS as error:
            raise SearchUnavailable(f"{type(error).__name__}: {error}") from error
        count = _bulk(
            {"_op_type": "index", "_index": new_index, "_id": doc["id"], "_source": doc}
            for doc in documents()
        )
        try:
            es.indices.refresh(index=new_index)
            previous = (
                sorted(es.indices.get_alias(name=target).body)
                if es.indices.exists_alias(name=target)
                else []
            )
            es.indices.update_aliases(
                actions=[
                    *({"remove": {"index": index, "alias": target}} for index in previous),
                    {"add": {"index": new_index, "alias": target}},
                ]
            )
        except CLIENT_ERRORS as error:
            raise SearchUnavailable(f"{type(error).__name__}: {error}") from error
        changed = sorted(
            set(
                db.session.scalars(
                    select(IndexOutbox.service_id).where(IndexOutbox.id > last_outbox_id)
                )
            )
        )
        caught_up = sync_services(changed) if changed else 0
        for index in previous:
            try:
                es.indices.delete(index=index)
            except CLIENT_ERRORS as error:
                log.warning("Could not delete the replaced index %s: %s", index, error)
        db.session.rollback()
        return ReindexReport(
            new_index, count, tuple(previous), caught_up, time.perf_counter() - started
        )
    finally:
        lock.release()
