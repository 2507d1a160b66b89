"""Directory writes: services (with a version for every change), capacity and locations.

Every change to a service goes through ``change_service``, which locks the row, refuses a
stale edit (the caller says which version it was looking at), records what changed in a
``ServiceVersion`` and bumps ``Service.version``. Functions flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import utcnow
from marketplace.directory.models import Location, Service, ServiceStatus, ServiceVersion
from marketplace.extensions import db
from marketplace.geography.models import Area
from marketplace.organisations.models import Organisation
from marketplace.routing import ROW_ID_MAX
from marketplace.taxonomy.models import Need
from marketplace.vocabulary import CapacityStatus, DeliveryMode

# The fields a provider edits, in the order a version's snapshot lists them.
SCALAR_FIELDS = (
    "name",
    "summary",
    "description",
    "min_age",
    "max_age",
    "genders",
    "cjs_stages",
    "risk_levels",
    "offence_exclusions",
    "languages",
    "interpreter_available",
    "accessibility",
    "delivery_modes",
    "referral_routes",
    "opening_times",
    "evenings_only",
    "contact_email",
    "contact_phone",
    "capacity",
    "capacity_status",
    "waiting_days",
)
RELATION_FIELDS = ("need_codes", "area_ids", "location_ids")
CAPACITY_FIELDS = ("capacity", "capacity_status", "waiting_days")


class StaleServiceError(RuntimeError):
    """Someone else changed the service since the editor loaded it."""

    def __init__(self, service: Service) -> None:
        super().__init__("This service was changed by someone else")
        self.service = service
        self.current_version = service.version


class ServiceError(ValueError):
    """A service write was refused; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class NotReadyToPublish(ValueError):
    """What is still missing before a service can be published."""

    missing: list[tuple[str, str]] = field(default_factory=list)  # (section, message)

    def __str__(self) -> str:
        return "; ".join(message for _, message in self.missing)


def snapshot(service: Service) -> dict[str, Any]:
    """The service's editable state as plain JSON (what a version stores)."""
    state: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        value = getattr(service, name)
        state[name] = list(value) if isinstance(value, list) else value
    state["capacity_status"] = str(service.capacity_status) if service.capacity_status else None
    state["status"] = str(service.status) if service.status else ServiceStatus.DRAFT.value
    state["need_codes"] = sorted(need.code for need in service.needs)
    state["area_ids"] = sorted(area.id for area in service.areas)
    state["location_ids"] = sorted(location.id for location in service.locations)
    return state


def _check_rules(service: Service) -> None:
    """The rules the database also enforces, as clear errors before it has to."""
    if service.min_age is not None and service.min_age < 0:
        raise ServiceError("Minimum age must be 0 or more", "min_age")
    if service.max_age is not None and service.max_age > 120:
        raise ServiceError("Maximum age must be 120 or less", "max_age")
    if (
        service.min_age is not None
        and service.max_age is not None
        and service.min_age > service.max_age
    ):
        raise ServiceError("Minimum age must be the same as or less than maximum age", "min_age")
    if service.capacity is not None and service.capacity < 0:
        raise ServiceError("Number of places must be 0 or more", "capacity")
    if service.capacity is not None and service.capacity < (service.places_taken or 0):
        raise ServiceError(
            f"Number of places cannot be fewer than the {service.places_taken} "
            "already held by open referrals",
            "capacity",
        )
    if service.waiting_days is not None and service.waiting_days < 0:
        raise ServiceError("Waiting time must be 0 days or more", "waiting_days")


def _set_relations(service: Service, changes: dict[str, Any]) -> None:
    if "need_codes" in changes:
        codes = set(changes["need_codes"] or [])
        needs = list(db.session.scalars(select(Need).where(Need.code.in_(codes))))
        if len(needs) != len(codes):
            unknown = codes - {need.code for need in needs}
            raise ServiceError(f"Unknown need: {', '.join(sorted(unknown))}", "need_codes")
        service.needs = needs
    if "area_ids" in changes:
        ids = set(changes["area_ids"] or [])
        service.areas = list(db.session.scalars(select(Area).where(Area.id.in_(ids))))
    if "location_ids" in changes:
        ids = set(changes["location_ids"] or [])
        locations = list(db.session.scalars(select(Location).where(Location.id.in_(ids))))
        owner = service.organisation_id or service.organisation.id
        if len(locations) != len(ids) or any(
            location.organisation_id != owner for location in locations
        ):
            raise ServiceError("Choose locations that belong to your organisation", "location_ids")
        service.locations = locations


def _apply(service: Service, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if name in SCALAR_FIELDS:
            if isinstance(value, str) and name not in ("name",):
                value = value.strip()
                if name in ("contact_email", "contact_phone") and not value:
                    value = None
            setattr(service, name, value)
    _set_relations(service, changes)
    _check_rules(service)


def _write_version(service: Service, before: dict[str, Any], actor: User | None, summary: str):
    after = snapshot(service)
    changed = {
        name: [before.get(name), after[name]] for name in after if before.get(name) != after[name]
    }
    if before and not changed:
        return None
    if before:
        service.version += 1
    version = ServiceVersion(
        service_id=service.id,
        version=service.version,
        changed_by_id=actor.id if actor else None,
        summary=summary,
        snapshot=after,
        changes=changed,
    )
    db.session.add(version)
    db.session.flush()
    return version


def create_service(organisation: Organisation, fields: dict[str, Any], actor: User | None):
    """A new draft service, version 1. Raises ServiceError for a broken rule."""
    service = Service(organisation=organisation, status=ServiceStatus.DRAFT, version=1)
    service.places_taken = 0
    db.session.add(service)
    _apply(service, {"capacity_status": CapacityStatus.AVAILABLE, **fields})
    db.session.flush()
    _write_version(service, {}, actor, "Created")
    record("service_created", service, actor=actor, name=service.name)
    return service


def _lock(service: Service, expected_version: int | None) -> dict[str, Any]:
    """Lock the service row for this transaction and check nobody changed it since the
    editor loaded ``expected_version``. Returns its state before the change."""
    db.session.refresh(service, with_for_update=True)
    if expected_version is not None and service.version != expected_version:
        raise StaleServiceError(service)
    return snapshot(service)


def change_service(
    service: Service,
    changes: dict[str, Any],
    actor: User | None,
    *,
    expected_version: int | None,
    summary: str = "Edited",
) -> ServiceVersion | None:
    """Apply ``changes`` (scalar fields and need_codes/area_ids/location_ids) as one new
    version. Returns the version written, or None when nothing actually changed.

    Raises StaleServiceError if the service is no longer at ``expected_version`` and
    ServiceError for a broken rule; in both cases nothing is changed.
    """
    before = _lock(service, expected_version)
    try:
        with db.session.no_autoflush:
            _apply(service, changes)
    except ServiceError:
        db.session.refresh(service)
        raise
    if service.status == ServiceStatus.PUBLISHED:
        # A published service may not lose what publishing needs; problems it already had
        # (say, imported without a location) do not block unrelated edits such as capacity.
        missing = [
            problem
            for problem in publishing_problems(service)
            if PROBLEM_CAUSES[problem[0]] & set(changes)
        ]
        if missing:
            db.session.refresh(service)
            raise ServiceError(missing[0][1], missing[0][0])
    version = _write_version(service, before, actor, summary)
    if version is not None:
        if any(name in version.changes for name in CAPACITY_FIELDS):
            service.capacity_updated_at = utcnow()
        record("service_updated", service, actor=actor, fields=sorted(version.changes))
    return version


# Which changes can cause each publishing problem.
PROBLEM_CAUSES: dict[str, set[str]] = {
    "summary": {"summary"},
    "need_codes": {"need_codes"},
    "delivery_modes": {"delivery_modes"},
    "referral_routes": {"referral_routes"},
    "location_ids": {"location_ids", "delivery_modes"},
    "area_ids": {"area_ids", "location_ids", "delivery_modes"},
}


def publishing_problems(service: Service) -> list[tuple[str, str]]:
    """What stops the service being published, as (field, message) pairs; empty if ready."""
    missing: list[tuple[str, str]] = []
    if not service.summary:
        missing.append(("summary", "Enter a short summary of the service"))
    if not service.needs:
        missing.append(("need_codes", "Select the needs the service meets"))
    if not service.delivery_modes:
        missing.append(("delivery_modes", "Select how the service is delivered"))
    if not service.referral_routes:
        missing.append(("referral_routes", "Select how people can be referred"))
    if DeliveryMode.IN_PERSON in service.delivery_modes and not service.locations:
        missing.append(("location_ids", "Add a location for a service delivered in person"))
    if DeliveryMode.IN_PERSON not in service.delivery_modes and not (
        service.areas or service.locations
    ):
        missing.append(("area_ids", "Select the areas the service delivers to"))
    return missing


def publish_service(service: Service, actor: User, *, expected_version: int | None) -> None:
    """Publish (or un-pause) a service. Raises NotReadyToPublish listing what is missing,
    StaleServiceError for a stale check-your-answers page."""
    before = _lock(service, expected_version)
    missing = publishing_problems(service)
    if missing:
        raise NotReadyToPublish(missing)
    service.status = ServiceStatus.PUBLISHED
    service.published_at = service.published_at or utcnow()
    _write_version(service, before, actor, "Published")
    record("service_published", service, actor=actor)


def pause_service(service: Service, actor: User, *, expected_version: int | None) -> None:
    """Stop taking referrals for now: the service leaves search but keeps its data."""
    before = _lock(service, expected_version)
    if service.status != ServiceStatus.PUBLISHED:
        raise ServiceError("Only a published service can be paused")
    service.status = ServiceStatus.PAUSED
    _write_version(service, before, actor, "Paused")
    record("service_paused", service, actor=actor)


@dataclass(frozen=True)
class CapacityUpdate:
    """One service's quick capacity update.

    ``sent`` names the fields to change (``capacity``, ``capacity_status``,
    ``waiting_days``); None means all three, as the web form sends. ``capacity=None``
    among them means "no set limit". ``places_available`` (places free now) may be given
    instead of ``capacity``; without an explicit status it also sets the status.
    """

    service_id: int
    capacity: int | None = None
    places_available: int | None = None
    capacity_status: CapacityStatus | None = None
    waiting_days: int | None = None
    expected_version: int | None = None
    sent: frozenset[str] | None = None

    def changes_for(self, service: Service) -> dict[str, Any]:
        sent = self.sent if self.sent is not None else frozenset(CAPACITY_FIELDS)
        changes: dict[str, Any] = {}
        if "waiting_days" in sent:
            changes["waiting_days"] = self.waiting_days
        if self.places_available is not None:
            changes["capacity"] = (service.places_taken or 0) + self.places_available
        elif "capacity" in sent:
            changes["capacity"] = self.capacity
        status = self.capacity_status
        if status is None and self.places_available is not None:
            status = CapacityStatus.AVAILABLE if self.places_available > 0 else CapacityStatus.FULL
        if status is not None:
            changes["capacity_status"] = status
        return changes


@dataclass
class CapacityRefused(ValueError):
    """Some rows of a capacity update were refused: (service_id, field, message) each.
    Nothing in the update was saved."""

    errors: list[tuple[int, str | None, str]]
    stale: bool = False


def update_capacity(
    organisation: Organisation, updates: Iterable[CapacityUpdate], actor: User
) -> list[Service]:
    """Save every row of a quick capacity update, or none of them.

    Raises CapacityRefused listing each refused row (a service of another organisation,
    a stale version, a broken rule); ``stale`` is set when any row was stale.
    """
    errors: list[tuple[int, str | None, str]] = []
    stale = False
    saved: list[Service] = []
    with db.session.begin_nested() as savepoint:
        for update in updates:
            service = (
                db.session.get(Service, update.service_id)
                if 1 <= update.service_id <= ROW_ID_MAX
                else None
            )
            if service is None or service.organisation_id != organisation.id:
                errors.append(
                    (update.service_id, "service_id", "No such service in this organisation")
                )
                continue
            try:
                change_service(
                    service,
                    update.changes_for(service),
                    actor,
                    expected_version=update.expected_version,
                    summary="Capacity updated",
                )
            except StaleServiceError as error:
                stale = True
                errors.append((service.id, None, f"{error} (now version {error.current_version})"))
            except ServiceError as error:
                errors.append((service.id, error.field, str(error)))
            else:
                saved.append(service)
        if errors:
            savepoint.rollback()
    if errors:
        for service in saved:
            db.session.refresh(service)
        raise CapacityRefused(errors, stale)
    return saved


# Locations ------------------------------------------------------------------------------


class LocationError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _place_for(postcode: str):  # noqa: ANN202 - onboarding.locating.Place
    from onboarding.locating import locate, normalise_postcode

    if normalise_postcode(postcode) is None:
        raise LocationError("Enter a real postcode, like SW1A 1AA", "postcode")
    place = locate(postcode)
    if place is None:
        raise LocationError(
            "We could not find this postcode. Check it and enter it again", "postcode"
        )
    return place


LOCATION_FIELDS = ("name", "address_line_1", "address_line_2", "town", "hidden")


def save_location(
    organisation: Organisation,
    fields: dict[str, Any],
    actor: User,
    location: Location | None = None,
) -> Location:
    """Create (or change) a location; its postcode is geocoded offline to a point and
    local authority. Raises LocationError for a postcode that is malformed or unknown."""
    place = _place_for(fields["postcode"])
    creating = location is None
    if location is None:
        location = Location(organisation=organisation)
        db.session.add(location)
    for name in LOCATION_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(location, name, value.strip() if isinstance(value, str) else value)
    location.postcode = place.postcode
    location.point = place.ewkt
    location.area = place.area
    db.session.flush()
    record(
        "location_created" if creating else "location_updated",
        location,
        actor=actor,
        hidden=location.hidden,
    )
    return location


def remove_location(location: Location, actor: User) -> None:
    """Delete a location nobody has been referred or booked to. Raises LocationError."""
    from marketplace.referrals.models import Appointment, Referral

    in_use = db.session.scalar(
        select(
            exists().where(Referral.location_id == location.id)
            | exists().where(Appointment.location_id == location.id)
        )
    )
    if in_use:
        raise LocationError("This location has referrals or appointments, so it cannot be removed")
    for service in list(location.services):
        change_service(
            service,
            {"location_ids": [loc.id for loc in service.locations if loc.id != location.id]},
            actor,
            expected_version=None,
            summary="Location removed",
        )
    record("location_removed", location, actor=actor)
    db.session.delete(location)
    db.session.flush()
