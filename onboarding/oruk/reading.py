"""Reading an Open Referral UK (HSDS 3.0) JSON file into its tables.

Two shapes are accepted: the tabular one (an object with ``organizations``, ``services``,
``locations``, ``service_at_locations``, ``taxonomies``, ``taxonomy_terms`` and
``attributes`` arrays, as ORUK data packages hold) and the API one (a list of services,
or a page ``{"contents": [...]}``, each with its organisation, locations and taxonomy
terms nested inside). The nested shape is flattened into the tabular one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, Any

TABLES = (
    "organizations",
    "services",
    "locations",
    "service_at_locations",
    "taxonomies",
    "taxonomy_terms",
    "attributes",
)


class UnreadableFile(ValueError):
    """The file is not JSON, or not in either ORUK shape."""


@dataclass
class OrukTables:
    organizations: list[Any] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)
    locations: list[Any] = field(default_factory=list)
    service_at_locations: list[Any] = field(default_factory=list)
    taxonomies: list[Any] = field(default_factory=list)
    taxonomy_terms: list[Any] = field(default_factory=list)
    attributes: list[Any] = field(default_factory=list)


def read(stream: IO[bytes] | IO[str]) -> OrukTables:
    """Parse ``stream``. Raises UnreadableFile with a sentence a person can act on."""
    try:
        document = json.load(stream)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnreadableFile(f"The selected file is not valid JSON ({error})") from None
    if isinstance(document, dict) and any(name in document for name in TABLES):
        tables = OrukTables()
        for name in TABLES:
            rows = document.get(name, [])
            if not isinstance(rows, list):
                raise UnreadableFile(f"“{name}” must be a list")
            setattr(tables, name, rows)
        return tables
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]
    if isinstance(document, list):
        return _flatten(document)
    raise UnreadableFile(
        "The selected file is not in the Open Referral UK format: expected a list of "
        "services or an object with “organizations” and “services”"
    )


def _flatten(nested_services: list[Any]) -> OrukTables:
    tables = OrukTables()
    seen: dict[str, set[str]] = {name: set() for name in TABLES}

    def add(table: str, row: Any) -> None:
        if isinstance(row, dict) and row.get("id") is not None:
            if str(row["id"]) in seen[table]:
                return
            seen[table].add(str(row["id"]))
        getattr(tables, table).append(row)

    for service in nested_services:
        if not isinstance(service, dict):
            tables.services.append(service)  # reported as a bad row by the importer
            continue
        flat = dict(service)
        organisation = flat.pop("organization", None)
        if isinstance(organisation, dict):
            add("organizations", organisation)
            flat.setdefault("organization_id", organisation.get("id"))
        for link in flat.pop("service_at_locations", None) or []:
            if not isinstance(link, dict):
                continue
            location = link.get("location")
            if isinstance(location, dict):
                add("locations", location)
            add(
                "service_at_locations",
                {
                    "id": link.get("id"),
                    "service_id": flat.get("id"),
                    "location_id": (location or {}).get("id", link.get("location_id")),
                },
            )
        for attribute in flat.pop("attributes", None) or []:
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term")
            if isinstance(term, dict):
                add("taxonomy_terms", term)
            add(
                "attributes",
                {
                    "id": attribute.get("id"),
                    "link_id": flat.get("id"),
                    "link_type": "service",
                    "taxonomy_term_id": (term or {}).get("id", attribute.get("taxonomy_term_id")),
                },
            )
        tables.services.append(flat)
    return tables
