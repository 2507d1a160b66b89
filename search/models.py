"""Search tables: the index outbox and the PostgreSQL full-text document per service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import Model


class IndexOutbox(Model):
    """Which services need re-indexing, written in the same transaction as the change,
    so nothing is lost while Redis or Elasticsearch is down."""

    __tablename__ = "index_outbox"
    __table_args__ = (
        Index("ix_index_outbox_pending", "id", postgresql_where=text("processed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, index=True)  # no FK: deletions too
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ServiceSearch(Model):
    """The full-text document and expanded need codes of one service, for the PostgreSQL
    backend. Written only by database triggers (migration ``0002_search``); never by Python.

    Why a trigger-maintained side table rather than a generated column on ``service`` or a
    materialised table refreshed by the index job:

    * the document mixes the service's own text with its organisation's name and its needs'
      names, which live in other tables: a generated column can only see its own row;
    * triggers on ``service``, ``organisation``, ``service_need``, ``need``,
      ``service_location`` and ``location`` note each
      affected service in ``service_search_pending``, and a deferred constraint trigger
      refreshes them all as the transaction commits, in the same transaction: search is
      right the moment a change commits, even when Redis or the worker is down (a
      job-refreshed table would lag behind). Refreshing once per service at commit, not
      once per row written, keeps bulk imports fast (a service with five needs arrives as
      six statements). Within the writing transaction, ``search.postgres`` makes the
      refresh happen before it searches (``SET CONSTRAINTS ... IMMEDIATE``);
    * a separate row keeps the wide, hot ``service`` row (whose ``places_taken`` is updated
      under contention by referrals) free of extra writes and locks: the triggers fire only
      when searchable text or needs change.

    ``document`` weights: A the service name; B its summary, organisation name and need
    names; C its description. English stemming throughout. ``need_codes`` holds each need
    code and its ancestors ("accommodation.homeless" also gives "accommodation"), so a
    category filter is one GIN-indexed array overlap. ``points`` are its delivery locations.
    """

    __tablename__ = "service_search"
    __table_args__ = (
        Index("ix_service_search_document", "document", postgresql_using="gin"),
        Index("ix_service_search_need_codes", "need_codes", postgresql_using="gin"),
    )

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(TSVECTOR)
    need_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default="{}", nullable=False
    )
    # Every delivery location of the service as one MULTIPOINT: ST_DWithin on it is "some
    # location within range" and its distance is to the nearest location, straight from
    # one GiST index, without joining and grouping locations per search.
    points: Mapped[Any | None] = mapped_column(
        Geography("MULTIPOINT", srid=4326, spatial_index=True), nullable=True
    )


class ServiceSearchPending(Model):
    """Services whose search document is out of date in the current transaction, noted by
    triggers and emptied by the deferred refresh at commit (never read by Python). No
    unique key on purpose: concurrent transactions noting the same service must not wait
    for each other."""

    __tablename__ = "service_search_pending"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer)
