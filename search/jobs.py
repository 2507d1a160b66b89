"""RQ jobs that apply the index outbox to Elasticsearch.

Jobs take outbox row ids and are idempotent: a row already processed is skipped, and
indexing a service twice leaves the same document. With no ``ELASTICSEARCH_URL`` there is
nothing to update (the PostgreSQL backend reads live tables), so rows are just marked
processed. If Elasticsearch cannot be reached the rows stay pending for the next run (or
``flask search drain``), so nothing is lost.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select, update

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs import commit, in_app_context
from search.models import IndexOutbox

log = logging.getLogger(__name__)

DRAIN_BATCH = 500


def index_outbox_rows(outbox_ids: list[int]) -> None:
    """Index the services named by these outbox rows (the job the sync listener enqueues)."""
    in_app_context(_process, list(outbox_ids))


def drain_index_outbox() -> int:
    """Process every pending outbox row, oldest first, in batches; returns how many rows
    were processed (rows that could not be indexed stay pending and stop the drain)."""
    processed = 0
    while True:
        ids = list(
            db.session.scalars(
                select(IndexOutbox.id)
                .where(IndexOutbox.processed_at.is_(None))
                .order_by(IndexOutbox.id)
                .limit(DRAIN_BATCH)
            )
        )
        db.session.rollback()
        if not ids:
            return processed
        done = _process(ids)
        processed += done
        if done < len(ids):
            return processed


def _process(outbox_ids: list[int]) -> int:
    rows = list(
        db.session.scalars(
            select(IndexOutbox)
            .where(IndexOutbox.id.in_(outbox_ids), IndexOutbox.processed_at.is_(None))
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        db.session.rollback()
        return 0
    if current_app.config.get("ELASTICSEARCH_URL"):
        from search.elastic import indexing
        from search.elastic.client import SearchUnavailable

        try:
            indexing.sync_services(sorted({row.service_id for row in rows}))
        except SearchUnavailable as error:
            log.warning(
                "Elasticsearch is unavailable (%s); %d index updates wait", error, len(rows)
            )
            db.session.rollback()
            return 0
    db.session.execute(
        update(IndexOutbox)
        .where(IndexOutbox.id.in_([row.id for row in rows]))
        .values(processed_at=utcnow())
    )
    commit()
    return len(rows)
