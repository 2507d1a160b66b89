"""``service_search`` and ``service_search_point`` follow every change that alters a
PostgreSQL search, in the writing transaction: copied service and organisation columns in
the same statement, text, needs and delivery points at the latest at commit. Each change
is checked two ways: the row says what it should, and it equals a rebuild of that service
from scratch (``refresh_service_search``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.taxonomy.models import Need
from marketplace.vocabulary import CapacityStatus
from search.engine import find_services
from search.models import ServiceSearch, ServiceSearchPending
from search.query import SearchQuery
from tests.factories import LocationFactory, OrganisationFactory, ServiceFactory, point

NOT_COPIED = {"service_id", "document", "need_codes", "points"}


def _move_to_pending_organisation(service: Service) -> None:
    service.organisation = OrganisationFactory(status=VerificationStatus.PENDING)


def _suspend_organisation(service: Service) -> None:
    service.organisation.status = VerificationStatus.SUSPENDED


# Every copied column: a change to its source, and the value the copy must then hold.
CHANGES: dict[str, tuple[Callable[[Service], None], Any]] = {
    "name": (lambda s: setattr(s, "name", "Renamed service"), "Renamed service"),
    "status": (lambda s: setattr(s, "status", ServiceStatus.PAUSED), "paused"),
    "organisation_status": (_suspend_organisation, "suspended"),
    "min_age": (lambda s: setattr(s, "min_age", 18), 18),
    "max_age": (lambda s: setattr(s, "max_age", 25), 25),
    "genders": (lambda s: setattr(s, "genders", ["female"]), ["female"]),
    "cjs_stages": (lambda s: setattr(s, "cjs_stages", ["licence"]), ["licence"]),
    "risk_levels": (lambda s: setattr(s, "risk_levels", ["high"]), ["high"]),
    "languages": (lambda s: setattr(s, "languages", ["pl", "ur"]), ["pl", "ur"]),
    "interpreter_available": (lambda s: setattr(s, "interpreter_available", True), True),
    "accessibility": (lambda s: setattr(s, "accessibility", ["step_free"]), ["step_free"]),
    "delivery_modes": (lambda s: setattr(s, "delivery_modes", ["remote"]), ["remote"]),
    "capacity": (lambda s: setattr(s, "capacity", 10), 10),
    "places_taken": (lambda s: setattr(s, "places_taken", 3), 3),
    "capacity_status": (
        lambda s: setattr(s, "capacity_status", CapacityStatus.WAITING_LIST),
        "waiting_list",
    ),
    "waiting_days": (lambda s: setattr(s, "waiting_days", 14), 14),
    "rating_sum": (lambda s: setattr(s, "rating_sum", Decimal("9.50")), Decimal("9.50")),
    "rating_count": (lambda s: setattr(s, "rating_count", 2), 2),
}


def refresh_pending() -> None:
    """What a commit does for the deferred refresh, without committing."""
    db.session.flush()
    db.session.execute(text("SET CONSTRAINTS service_search_refresh IMMEDIATE"))
    db.session.execute(text("SET CONSTRAINTS service_search_refresh DEFERRED"))


def document(service_id: int) -> dict[str, Any]:
    row = db.session.execute(
        text("SELECT *, ST_AsText(points) AS points FROM service_search WHERE service_id = :id"),
        {"id": service_id},
    ).one()
    return dict(row._mapping)


def points(service_id: int) -> set[tuple[int, str]]:
    rows = db.session.execute(
        text(
            "SELECT location_id, ST_AsText(point) FROM service_search_point WHERE service_id = :id"
        ),
        {"id": service_id},
    )
    return {(location_id, wkt) for location_id, wkt in rows}


def noted_for_refresh(service_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ServiceSearchPending)
        .where(ServiceSearchPending.service_id == service_id)
    )


def assert_same_as_a_rebuild(service_id: int) -> None:
    refresh_pending()
    kept = document(service_id), points(service_id)
    db.session.execute(text("SELECT refresh_service_search(ARRAY[:id])"), {"id": service_id})
    assert (document(service_id), points(service_id)) == kept


def test_every_copied_column_has_a_change_checked_below() -> None:
    columns = {column.name for column in ServiceSearch.__table__.columns}

    assert set(CHANGES) == columns - NOT_COPIED


@pytest.mark.parametrize("column", sorted(CHANGES))
def test_a_change_reaches_the_copy_in_the_same_statement(column: str) -> None:
    service = ServiceFactory(capacity=None)
    refresh_pending()
    change, expected = CHANGES[column]

    change(service)
    db.session.flush()

    assert document(service.id)[column] == expected  # before any refresh
    assert_same_as_a_rebuild(service.id)


def test_moving_a_service_to_another_organisation_copies_that_organisations_status() -> None:
    service = ServiceFactory()
    refresh_pending()

    _move_to_pending_organisation(service)
    db.session.flush()

    assert document(service.id)["organisation_status"] == "pending"
    assert_same_as_a_rebuild(service.id)


def test_taking_the_last_place_by_bulk_update_is_searchable_at_once_without_a_refresh() -> None:
    service = ServiceFactory(capacity=1, places_taken=0)
    refresh_pending()
    assert find_services(SearchQuery(has_capacity=True)).total == 1

    db.session.execute(
        update(Service)
        .where(Service.id == service.id, Service.places_taken < Service.capacity)
        .values(places_taken=Service.places_taken + 1)
    )

    assert document(service.id)["places_taken"] == 1
    assert noted_for_refresh(service.id) == 0  # a capacity change costs no document refresh
    assert find_services(SearchQuery(has_capacity=True)).total == 0
    assert_same_as_a_rebuild(service.id)


def test_a_change_search_does_not_read_leaves_the_row_alone() -> None:
    service = ServiceFactory()
    refresh_pending()
    before = document(service.id)

    service.referrals_received += 1
    service.contact_phone = "0161 000 0000"
    db.session.flush()

    assert document(service.id) == before
    assert noted_for_refresh(service.id) == 0


def test_delivery_points_follow_locations_linked_moved_unlinked_and_deleted() -> None:
    westminster = LocationFactory(point=point(51.501009, -0.141588))
    service = ServiceFactory(organisation=westminster.organisation, at=westminster)
    refresh_pending()
    assert points(service.id) == {(westminster.id, "POINT(-0.141588 51.501009)")}

    ancoats = LocationFactory(organisation=westminster.organisation, point=point(53.4841, -2.2357))
    service.locations.append(ancoats)
    refresh_pending()
    assert points(service.id) == {
        (westminster.id, "POINT(-0.141588 51.501009)"),
        (ancoats.id, "POINT(-2.2357 53.4841)"),
    }
    assert_same_as_a_rebuild(service.id)

    westminster.point = point(51.5, -0.1)
    refresh_pending()
    assert (westminster.id, "POINT(-0.1 51.5)") in points(service.id)
    assert_same_as_a_rebuild(service.id)

    service.locations.remove(westminster)
    refresh_pending()
    assert points(service.id) == {(ancoats.id, "POINT(-2.2357 53.4841)")}

    db.session.delete(db.session.get(Location, ancoats.id))
    refresh_pending()
    assert points(service.id) == set()
    assert document(service.id)["points"] is None
    assert_same_as_a_rebuild(service.id)


def test_needs_and_names_reach_the_document_by_commit() -> None:
    service = ServiceFactory(need_codes=["accommodation.homeless"])
    refresh_pending()

    service.needs.append(db.session.get(Need, "finance.debt"))
    db.session.get(Organisation, service.organisation_id).name = "Brighter Futures"
    refresh_pending()

    assert document(service.id)["need_codes"] == [
        "accommodation",
        "accommodation.homeless",
        "finance",
        "finance.debt",
    ]
    assert "'brighter':" in document(service.id)["document"]
    assert_same_as_a_rebuild(service.id)


def test_deleting_a_service_deletes_its_row_and_points() -> None:
    location = LocationFactory()
    service = ServiceFactory(organisation=location.organisation, at=location)
    refresh_pending()
    service_id = service.id

    db.session.delete(service)
    refresh_pending()

    assert db.session.get(ServiceSearch, service_id) is None
    assert points(service_id) == set()
