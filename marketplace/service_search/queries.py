"""Reads the search pages need besides the search itself."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.taxonomy.models import Need


def needs_by_code() -> dict[str, tuple[str, str | None]]:
    """Every need in taxonomy order: code -> (name, parent code)."""
    rows = db.session.execute(
        select(Need.code, Need.name, Need.parent_code).order_by(Need.position)
    )
    return {code: (name, parent) for code, name, parent in rows}


def published_service(service_id: int) -> Service | None:
    """A published service of a verified organisation, with everything the API shows, or
    None (not found, draft, paused, or its organisation is not verified)."""
    return db.session.scalar(
        select(Service)
        .join(Service.organisation)
        .where(
            Service.id == service_id,
            Service.status == ServiceStatus.PUBLISHED,
            Organisation.status == VerificationStatus.VERIFIED,
        )
        .options(
            selectinload(Service.needs),
            selectinload(Service.areas),
            selectinload(Service.locations).selectinload(Location.area),
        )
    )


def positions(location_ids: list[int]) -> dict[int, tuple[float, float]]:
    """(lat, lon) of each location, read from the database."""
    if not location_ids:
        return {}
    point = func.geometry(Location.point)
    rows = db.session.execute(
        select(Location.id, func.ST_Y(point), func.ST_X(point)).where(Location.id.in_(location_ids))
    )
    return {location_id: (lat, lon) for location_id, lat, lon in rows}
