"""Keeping the search index in step with the directory, without anyone having to ask.

Session listeners (Warehouse style) notice every change that alters what a search
returns, write one ``IndexOutbox`` row per affected service in the *same* transaction, and
register an ``index_outbox_rows`` job on the ``search`` queue for after the commit:

* a service created, changed (any column, its needs, areas or locations) or deleted;
* a location created, moved or otherwise changed, linked or unlinked, or deleted;
* an organisation renamed or its verification status changed (all its services);
* a need renamed (every service meeting it);
* bulk ``update(Service)``/``delete(...)`` statements run through the ORM session, such as
  the conditional update that takes a place (capacity changes).

Writes that bypass the ORM session (raw SQL, COPY) are not seen: call
``mark_for_reindex`` after them, or run ``flask search reindex``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from marketplace.directory.models import Location, Service, service_location
from marketplace.jobs import enqueue_after_commit
from marketplace.organisations.models import Organisation
from marketplace.taxonomy.models import Need
from search.models import IndexOutbox
from search.postgres import DOCUMENTS_MAY_BE_STALE

_BEFORE = "search_sync_before_flush"  # service ids known only before the flush deletes links
_JOB = "search_sync_outbox_ids"  # outbox ids of this transaction, handed to one job
_MARKED = "search_sync_marked"  # services already in the outbox for this transaction


def install() -> None:
    """Listen on every SQLAlchemy session (idempotent)."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _bulk_statement),
        ("after_commit", _forget),
        ("after_soft_rollback", _forget_on_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def mark_for_reindex(session: Session, service_ids: Iterable[int], reason: str) -> None:
    """Write outbox rows for ``service_ids`` now and index them after the commit.

    One row per service per transaction: the job indexes the state as committed, so later
    changes in the same transaction ride on the first row.
    """
    # The PostgreSQL documents of these services refresh at commit; a search before then
    # in this session must refresh them first.
    session.info[DOCUMENTS_MAY_BE_STALE] = True
    marked = session.info.setdefault(_MARKED, set())
    ids = sorted(set(service_ids) - marked)
    if not ids:
        return
    marked.update(ids)
    outbox_ids = session.connection().scalars(
        insert(IndexOutbox).returning(IndexOutbox.id),
        [{"service_id": service_id, "reason": reason} for service_id in ids],
    )
    pending = session.info.get(_JOB)
    if pending is None:
        from search.jobs import index_outbox_rows

        pending = session.info[_JOB] = []
        # The list is handed over by reference: rows written by later flushes of the same
        # transaction ride on the same job.
        enqueue_after_commit(index_outbox_rows, pending, queue="search")
    pending.extend(outbox_ids)


def _changed(obj: Any, *attributes: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _linked_services(session: Session, location_ids: Iterable[int]) -> set[int]:
    ids = list(location_ids)
    if not ids:
        return set()
    return set(
        session.connection().scalars(
            select(service_location.c.service_id).where(service_location.c.location_id.in_(ids))
        )
    )


def _services_of(session: Session, organisation_ids: Iterable[int]) -> set[int]:
    ids = list(organisation_ids)
    if not ids:
        return set()
    return set(
        session.connection().scalars(select(Service.id).where(Service.organisation_id.in_(ids)))
    )


def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    """Deleting a location or organisation cascades in the database: find their services
    while the links still exist."""
    deleted = list(session.deleted)
    locations = [o.id for o in deleted if isinstance(o, Location)]
    organisations = [o.id for o in deleted if isinstance(o, Organisation)]
    if not (locations or organisations):
        return
    known = session.info.setdefault(_BEFORE, set())
    known |= _linked_services(session, locations) | _services_of(session, organisations)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    affected: dict[int, str] = {}

    def add(ids: Iterable[int | None], reason: str) -> None:
        for service_id in ids:
            if service_id is not None:
                affected.setdefault(service_id, reason)

    add(session.info.pop(_BEFORE, set()), "location or organisation deleted")
    for obj in session.new:
        if isinstance(obj, Service):
            add([obj.id], "service created")
        elif isinstance(obj, Location):
            add((s.id for s in obj.services), "location created")
    for obj in session.deleted:
        if isinstance(obj, Service):
            add([obj.id], "service deleted")
    moved_locations: list[int] = []
    for obj in session.dirty:
        if isinstance(obj, Service) and session.is_modified(obj):
            add([obj.id], "service changed")
        elif isinstance(obj, Location) and session.is_modified(obj):
            moved_locations.append(obj.id)
            unlinked = inspect(obj).attrs["services"].history.deleted or ()
            add((s.id for s in unlinked), "location unlinked")
        elif isinstance(obj, Organisation) and _changed(obj, "name", "status"):
            add(_services_of(session, [obj.id]), "organisation changed")
        elif isinstance(obj, Need) and _changed(obj, "name", "parent_code"):
            add(
                session.connection().scalars(
                    select(Service.id).where(Service.needs.any(Need.code == obj.code))
                ),
                "need renamed",
            )
    add(_linked_services(session, moved_locations), "location changed")
    for reason in sorted(set(affected.values())):
        mark_for_reindex(session, [i for i, r in affected.items() if r == reason], reason)


def _bulk_statement(state: ORMExecuteState) -> None:
    """ORM-enabled ``update()``/``delete()`` statements skip the flush: find the rows they
    will touch first (an extra SELECT with the same WHERE clause)."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    target = state.bind_mapper.class_
    if target not in (Service, Location, Organisation):
        return
    where = state.statement.whereclause  # type: ignore[attr-defined]
    ids = set(
        state.session.scalars(
            select(target.id).where(where) if where is not None else select(target.id)
        )
    )
    session = state.session
    if target is Location:
        ids = _linked_services(session, ids)
    elif target is Organisation:
        ids = _services_of(session, ids)
    mark_for_reindex(session, ids, f"bulk {'update' if state.is_update else 'delete'}")


def _forget(session: Session) -> None:
    for key in (_JOB, _BEFORE, _MARKED):
        session.info.pop(key, None)


def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _forget(session)
