"""Search tables: the index outbox and the PostgreSQL full-text document per service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import Model


def _copied_array() -> Any:
    return mapped_column(ARRAY(String(32)), server_default="{}", nullable=False)


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
    """Everything the PostgreSQL backend reads to find, filter, sort and count one service:
    its full-text document, expanded need codes and delivery locations, and copies of the
    service's (and its organisation's) searchable columns. Written only by database
    triggers (migrations ``0002_search`` and ``0004_search_speed``); never by Python.

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
    * the copied columns (``name`` to ``rating_count`` below) are updated by a row trigger
      in the same statement as the ``service`` or ``organisation`` row they copy, and
      only when one of them changes: a place taken by a referral costs one narrow update
      here, never a document refresh. With them the search statement reads this one table
      (and ``service_search_point``) for every candidate, and joins ``service`` and
      ``organisation`` only for the page it shows.

    The copies are raw values; what they mean for search (effective capacity, "open to
    everyone", the smoothed rating) is decided in ``search.postgres`` and
    ``search.facets``, in one place for both backends.

    ``document`` weights: A the service name; B its summary, organisation name and need
    names; C its description. English stemming throughout. ``need_codes`` holds each need
    code and its ancestors ("accommodation.homeless" also gives "accommodation"), so a
    category filter is one array overlap. ``points`` are its delivery locations, for the
    distance of services found otherwise than by radius; a radius search reads
    ``service_search_point``.
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
    # Every delivery location of the service as one MULTIPOINT: its distance is to the
    # nearest location. Not indexed: services with locations in several towns have
    # bounding boxes too wide for a GiST index to narrow anything (see ServiceSearchPoint).
    points: Mapped[Any | None] = mapped_column(
        Geography("MULTIPOINT", srid=4326, spatial_index=False), nullable=True
    )

    # Copies of service columns, and of organisation.status.
    name: Mapped[str] = mapped_column(String(200), server_default="")
    status: Mapped[str] = mapped_column(String(32), server_default="draft")
    organisation_status: Mapped[str] = mapped_column(String(32), server_default="pending")
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    genders: Mapped[list[str]] = _copied_array()
    cjs_stages: Mapped[list[str]] = _copied_array()
    risk_levels: Mapped[list[str]] = _copied_array()
    languages: Mapped[list[str]] = _copied_array()
    interpreter_available: Mapped[bool] = mapped_column(Boolean, server_default="false")
    accessibility: Mapped[list[str]] = _copied_array()
    delivery_modes: Mapped[list[str]] = _copied_array()
    capacity: Mapped[int | None] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, server_default="0")
    capacity_status: Mapped[str] = mapped_column(String(32), server_default="available")
    waiting_days: Mapped[int | None] = mapped_column(Integer)
    rating_sum: Mapped[Decimal] = mapped_column(Numeric(12, 2), server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, server_default="0")


class ServiceSearchPoint(Model):
    """One delivery location of a service, refreshed with its ``ServiceSearch`` row.

    A radius search finds the points near the place through the GiST index and keeps
    the services whose nearest point is in range: each point is one small box in the
    index. (The service's MULTIPOINT spans all its towns: around London its GiST index
    returned 3,000 of 10,000 services for ``ST_DWithin`` to reject half of them.)
    """

    __tablename__ = "service_search_point"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service_search.service_id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no FK: derived
    point: Mapped[Any] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=True), nullable=False
    )


class ServiceSearchPending(Model):
    """Services whose search document is out of date in the current transaction, noted by
    triggers and emptied by the deferred refresh at commit (never read by Python). No
    unique key on purpose: concurrent transactions noting the same service must not wait
    for each other."""

    __tablename__ = "service_search_pending"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer)
