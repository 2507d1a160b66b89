"""Exporting the directory as Open Referral UK (HSDS 3.0) tables.

Only what the public directory shows is exported: published services of verified
organisations. A hidden location (a refuge) is exported without address, postcode or
coordinates, only its local authority, so the export can be shared openly.
"""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.vocabulary import LANGUAGES, label
from onboarding.oruk.vocabulary import FIELD_TAXONOMIES, NEEDS_TAXONOMY

# Stable identifiers for rows that were not imported with one of their own.
NAMESPACE = uuid.UUID("0b8c7f1e-5d3a-4c57-9a52-7b3f7c0e2a10")
STATUS = {
    ServiceStatus.PUBLISHED: "active",
    ServiceStatus.PAUSED: "inactive",
    ServiceStatus.DRAFT: "inactive",
}


def _id(kind: str, row: Any) -> str:
    return row.oruk_id or str(uuid.uuid5(NAMESPACE, f"{kind}:{row.id}"))


def _term_id(taxonomy: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"term:{taxonomy}:{code}"))


def export_directory() -> dict[str, list[dict[str, Any]]]:
    """The public directory as ORUK tables (organizations, services, locations, ...)."""
    services = list(
        db.session.scalars(
            select(Service)
            .join(Organisation, Organisation.id == Service.organisation_id)
            .where(
                Service.status == ServiceStatus.PUBLISHED,
                Organisation.status == VerificationStatus.VERIFIED,
            )
            .options(
                selectinload(Service.needs),
                selectinload(Service.locations).selectinload(Location.area),
                selectinload(Service.organisation),
            )
            .order_by(Service.id)
        )
    )
    organisations = {service.organisation.id: service.organisation for service in services}
    locations = {location.id: location for service in services for location in service.locations}
    points = _points([loc.id for loc in locations.values() if not loc.hidden])

    terms: dict[str, dict[str, Any]] = {}
    attributes: list[dict[str, Any]] = []

    def tag(service_id: str, taxonomy: str, code: str, name: str) -> None:
        term_id = _term_id(taxonomy, code)
        terms.setdefault(
            term_id,
            {
                "id": term_id,
                "code": code,
                "name": name,
                "taxonomy": taxonomy,
                "taxonomy_id": taxonomy,
            },
        )
        attributes.append(
            {
                "id": str(uuid.uuid5(NAMESPACE, f"attribute:{service_id}:{term_id}")),
                "link_id": service_id,
                "link_type": "service",
                "link_entity": "service",
                "taxonomy_term_id": term_id,
            }
        )

    service_rows = []
    links = []
    for service in services:
        service_id = _id("service", service)
        for need in service.needs:
            tag(service_id, NEEDS_TAXONOMY, need.code, need.name)
        for field, taxonomy in FIELD_TAXONOMIES.items():
            for value in getattr(service, field):
                tag(service_id, taxonomy, value, label(value))
        capacities = []
        if service.capacity is not None:
            capacities.append(
                {
                    "id": str(uuid.uuid5(NAMESPACE, f"capacity:{service.id}")),
                    "available": service.places_left,
                    "maximum": service.capacity,
                    "unit": {"name": "places"},
                    "updated": (service.capacity_updated_at or service.updated_at).isoformat(),
                }
            )
        service_rows.append(
            {
                "id": service_id,
                "organization_id": _id("organisation", service.organisation),
                "name": service.name,
                "alternate_name": service.summary,
                "description": service.description,
                "email": service.contact_email,
                "status": STATUS[service.status],
                "minimum_age": service.min_age,
                "maximum_age": service.max_age,
                "interpretation_services": (
                    "Interpreter available" if service.interpreter_available else None
                ),
                "languages": [
                    {"code": code, "name": LANGUAGES[code]}
                    for code in service.languages
                    if code in LANGUAGES
                ],
                "capacities": capacities,
                "waiting_days": service.waiting_days,
                "last_modified": service.updated_at.isoformat(),
            }
        )
        for location in service.locations:
            location_id = _id("location", location)
            links.append(
                {
                    "id": str(uuid.uuid5(NAMESPACE, f"sal:{service_id}:{location_id}")),
                    "service_id": service_id,
                    "location_id": location_id,
                }
            )
    return {
        "organizations": [_organisation(org) for org in organisations.values()],
        "services": service_rows,
        "locations": [
            _location(location, points.get(location.id)) for location in locations.values()
        ],
        "service_at_locations": links,
        "taxonomies": [
            {"id": name, "name": name, "description": "Pathways vocabulary"}
            for name in [NEEDS_TAXONOMY, *FIELD_TAXONOMIES.values()]
        ],
        "taxonomy_terms": list(terms.values()),
        "attributes": attributes,
    }


def _organisation(organisation: Organisation) -> dict[str, Any]:
    identifiers = []
    if organisation.charity_number:
        scheme = (
            "GB-SC"
            if organisation.charity_number.startswith("SC")
            else ("GB-NIC" if organisation.charity_number.startswith("NIC") else "GB-CHC")
        )
        identifiers.append(
            {
                "identifier_scheme": scheme,
                "identifier_type": "charity number",
                "identifier": organisation.charity_number,
            }
        )
    if organisation.company_number:
        identifiers.append(
            {
                "identifier_scheme": "GB-COH",
                "identifier_type": "company number",
                "identifier": organisation.company_number,
            }
        )
    return {
        "id": _id("organisation", organisation),
        "name": organisation.name,
        "description": organisation.description,
        "email": organisation.email,
        "website": organisation.website,
        "organization_identifiers": identifiers,
    }


def _location(location: Location, point: tuple[float, float] | None) -> dict[str, Any]:
    area = location.area.name if location.area else None
    if location.hidden:
        return {
            "id": _id("location", location),
            "location_type": "physical",
            "name": f"Confidential location{f' in {area}' if area else ''}",
            "description": "The address of this location is confidential.",
            "addresses": [],
        }
    return {
        "id": _id("location", location),
        "location_type": "physical",
        "name": location.name,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "addresses": [
            {
                "address_1": location.address_line_1,
                "address_2": location.address_line_2,
                "city": location.town,
                "region": area,
                "postal_code": location.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ],
    }


def _points(location_ids: list[int]) -> dict[int, tuple[float, float]]:
    if not location_ids:
        return {}
    geometry = Location.point.cast(Geometry)
    return {
        row[0]: (float(row[1]), float(row[2]))
        for row in db.session.execute(
            select(Location.id, func.ST_Y(geometry), func.ST_X(geometry)).where(
                Location.id.in_(location_ids)
            )
        )
    }
