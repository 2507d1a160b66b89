"""Directory reads: an organisation's services and locations, the public directory,
version history, and coordinates for maps (never for hidden locations in public)."""

from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2 import Geometry
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from marketplace.directory.models import (
    ImportRun,
    Location,
    Service,
    ServiceStatus,
    ServiceVersion,
    service_need,
)
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.taxonomy.models import Need


def organisation_services(organisation: Organisation) -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.organisation_id == organisation.id)
            .order_by(Service.name, Service.id)
        )
    )


def organisation_locations(organisation: Organisation) -> list[Location]:
    return list(
        db.session.scalars(
            select(Location)
            .where(Location.organisation_id == organisation.id)
            .options(selectinload(Location.area), selectinload(Location.services))
            .order_by(Location.name, Location.id)
        )
    )


def versions(service: Service) -> list[ServiceVersion]:
    return list(
        db.session.scalars(
            select(ServiceVersion)
            .where(ServiceVersion.service_id == service.id)
            .options(selectinload(ServiceVersion.changed_by))
            .order_by(ServiceVersion.version.desc())
        )
    )


@dataclass(frozen=True)
class MapPoint:
    """A location to show on a map and in the list beside it."""

    location: Location
    lat: float
    lon: float


def map_points(locations: list[Location]) -> list[MapPoint]:
    """Coordinates for ``locations`` (the caller decides which may be shown)."""
    if not locations:
        return []
    geometry = Location.point.cast(Geometry)
    rows = db.session.execute(
        select(Location.id, func.ST_Y(geometry), func.ST_X(geometry)).where(
            Location.id.in_([location.id for location in locations])
        )
    ).all()
    by_id = {row[0]: (float(row[1]), float(row[2])) for row in rows}
    return [MapPoint(location, *by_id[location.id]) for location in locations]


# The public directory -----------------------------------------------------------------

PAGE_SIZE = 20


def _listed_services() -> Select:
    return (
        select(Service)
        .join(Organisation, Organisation.id == Service.organisation_id)
        .where(
            Service.status == ServiceStatus.PUBLISHED,
            Organisation.status == VerificationStatus.VERIFIED,
        )
    )


@dataclass(frozen=True)
class DirectoryPage:
    organisations: list[tuple[Organisation, int]]  # with their published service count
    total: int
    page: int
    pages: int


def directory_page(page: int = 1, need_code: str | None = None) -> DirectoryPage:
    """Verified organisations with at least one published service (meeting ``need_code``
    or one of its sub-needs, if given), alphabetically, ``PAGE_SIZE`` a page."""
    services = _listed_services().with_only_columns(Service.organisation_id, Service.id)
    if need_code:
        services = services.where(
            Service.id.in_(
                select(service_need.c.service_id)
                .join(Need, Need.code == service_need.c.need_code)
                .where((Need.code == need_code) | (Need.parent_code == need_code))
            )
        )
    listed = services.subquery()
    counts = (
        select(listed.c.organisation_id, func.count().label("services"))
        .group_by(listed.c.organisation_id)
        .subquery()
    )
    total = db.session.scalar(select(func.count()).select_from(counts)) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(Organisation, counts.c.services)
        .join(counts, counts.c.organisation_id == Organisation.id)
        .order_by(func.lower(Organisation.name), Organisation.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return DirectoryPage([(row[0], row[1]) for row in rows], total, page, pages)


def public_organisation(organisation_id: int) -> Organisation | None:
    """A verified organisation, or None (unverified ones are not public)."""
    return db.session.scalar(
        select(Organisation).where(
            Organisation.id == organisation_id,
            Organisation.status == VerificationStatus.VERIFIED,
        )
    )


def public_services(organisation: Organisation) -> list[Service]:
    return list(
        db.session.scalars(
            _listed_services()
            .where(Service.organisation_id == organisation.id)
            .order_by(Service.name)
        )
    )


def public_service(service_id: int) -> Service | None:
    """A published service of a verified organisation, or None."""
    return db.session.scalar(
        _listed_services()
        .where(Service.id == service_id)
        .options(
            selectinload(Service.locations).selectinload(Location.area),
            selectinload(Service.needs),
            selectinload(Service.areas),
        )
    )


def need_categories() -> list[Need]:
    return list(
        db.session.scalars(select(Need).where(Need.parent_code.is_(None)).order_by(Need.position))
    )


def import_runs(limit: int = 20, organisation_id: int | None = None) -> list[ImportRun]:
    query = select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(ImportRun.organisation_id == organisation_id)
    return list(db.session.scalars(query))
