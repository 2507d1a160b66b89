"""Importing Open Referral UK files: validate everything first, then insert in bulk.

``plan`` checks every organisation, location and service against our rules and decides
what to insert, collecting a ``Problem`` for each bad row; a service is only planned when
its organisation and every one of its locations are good, so no service half-imports.
``apply`` then writes the plan with a handful of multi-row INSERTs (not one ORM object at
a time: 10,000 services import in seconds), a version 1 for every service, search-index
outbox rows and one audit event, inside the caller's transaction.
"""

from __future__ import annotations

import enum
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import String, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from tqdm import tqdm

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import utcnow
from marketplace.directory.models import (
    PLACES_MAX,
    WAITING_DAYS_MAX,
    ImportKind,
    ImportRun,
    Location,
    Service,
    ServiceStatus,
    ServiceVersion,
    service_location,
    service_need,
)
from marketplace.extensions import db
from marketplace.geography.models import Area, Postcode
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.organisations.services import (
    OrganisationError,
    normalise_charity_number,
    normalise_company_number,
)
from marketplace.taxonomy.models import Need
from marketplace.vocabulary import LANGUAGES, CapacityStatus, DeliveryMode, ReferralRoute
from onboarding.oruk.reading import OrukTables
from onboarding.oruk.vocabulary import FIELD_TAXONOMIES, Mapping, Term, map_term
from onboarding.postcodes import normalise_postcode
from search.models import IndexOutbox

CHUNK = 2000
# Great Britain, generously: a point outside this box is a swapped or mistyped coordinate.
LAT_RANGE = (49.8, 60.9)
LON_RANGE = (-8.7, 1.8)
STATUS_MAP = {
    "active": ServiceStatus.PUBLISHED,
    "inactive": ServiceStatus.PAUSED,
    "temporarily closed": ServiceStatus.PAUSED,
}


@dataclass(frozen=True)
class Problem:
    """A row that was not imported: where it is in the file and why."""

    table: str
    index: int
    id: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "index": self.index, "id": self.id, "reason": self.reason}

    def __str__(self) -> str:
        ident = f" (id {self.id})" if self.id else ""
        return f"{self.table}[{self.index}]{ident}: {self.reason}"


class RowError(ValueError):
    pass


@dataclass
class Plan:
    organisations: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    # (service oruk id, location oruk id) and (service oruk id, need code) pairs.
    service_locations: list[tuple[str, str]] = field(default_factory=list)
    service_needs: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    skipped_existing: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "organisations": len(self.organisations),
            "services": len(self.services),
            "locations": len(self.locations),
            "skipped_existing": self.skipped_existing,
            "problems": len(self.problems),
        }


# Reading fields ------------------------------------------------------------------------


def _text(row: dict[str, Any], name: str, limit: int, *, required: bool = False) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"“{name}” is missing")
        return None
    if not isinstance(value, str | int | float):
        raise RowError(f"“{name}” must be text")
    value = str(value).strip()
    if len(value) > limit:
        raise RowError(f"“{name}” is longer than {limit} characters")
    return value


def _whole_number(row: dict[str, Any], name: str, *, low: int = 0, high: int | None = None):
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"“{name}” must be a whole number")
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"“{name}” must be a whole number, not “{value}”") from None
    if not number.is_integer():
        raise RowError(f"“{name}” must be a whole number, not {value}")
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise RowError(f"“{name}” must be {bounds}, not {int(number)}")
    return int(number)


def _among(column: Any, values: Iterable[str]) -> Any:
    """``column = ANY(:values)`` with one array parameter: an IN list of 10,000 separate
    parameters costs seconds to build and parse."""
    return column == any_(bindparam(None, sorted(values), type_=ARRAY(String)))


def _ids_by_oruk_id(model: Any, oruk_ids: Iterable[str]) -> dict[str, int]:
    """Our ids of the rows of ``model`` already in the database with these ORUK ids."""
    rows = db.session.execute(
        select(model.oruk_id, model.id).where(_among(model.oruk_id, oruk_ids))
    )
    # Not dict(rows): a Result has keys(), so dict() would read it as a mapping.
    return {oruk_id: row_id for oruk_id, row_id in rows}  # noqa: C416


def _row_id(row: Any) -> str | None:
    if isinstance(row, dict) and row.get("id") not in (None, ""):
        return str(row["id"])
    return None


# Planning ------------------------------------------------------------------------------


@dataclass
class Lookups:
    """What the database already holds that the plan depends on."""

    need_codes: frozenset[str]
    need_names: dict[str, str]
    organisation_ids: dict[str, int]  # oruk id -> our id, for organisations already here
    service_ids: set[str]
    location_ids: dict[str, int]
    charity_numbers: set[str]
    company_numbers: set[str]
    postcodes: dict[str, tuple[float, float, str | None]]  # postcode -> lat, lon, LA code


def load_lookups(tables: OrukTables) -> Lookups:
    """One query per kind of thing the file refers to."""
    needs = db.session.execute(select(Need.code, Need.name)).all()

    def ids(table: list[Any]) -> list[str]:
        return [i for i in (_row_id(row) for row in table) if i]

    wanted_postcodes = {
        postcode
        for location in tables.locations
        if isinstance(location, dict)
        for postcode in [normalise_postcode(_postcode_of(location))]
        if postcode
    }
    geometry = func.ST_GeomFromWKB(func.ST_AsBinary(Postcode.point))
    postcodes = (
        {
            row[0]: (float(row[1]), float(row[2]), row[3])
            for row in db.session.execute(
                select(
                    Postcode.postcode,
                    func.ST_Y(geometry),
                    func.ST_X(geometry),
                    Postcode.local_authority_code,
                ).where(_among(Postcode.postcode, wanted_postcodes))
            )
        }
        if wanted_postcodes
        else {}
    )
    return Lookups(
        need_codes=frozenset(code for code, _ in needs),
        need_names={" ".join(name.lower().replace(",", " ").split()): code for code, name in needs},
        organisation_ids=_ids_by_oruk_id(
            Organisation,
            sorted(
                set(ids(tables.organizations))
                | {
                    str(service["organization_id"])
                    for service in tables.services
                    if isinstance(service, dict) and service.get("organization_id") is not None
                }
            ),
        ),
        service_ids=set(_ids_by_oruk_id(Service, ids(tables.services))),
        location_ids=_ids_by_oruk_id(Location, ids(tables.locations)),
        charity_numbers=set(
            db.session.scalars(
                select(Organisation.charity_number).where(Organisation.charity_number.is_not(None))
            )
        ),
        company_numbers=set(
            db.session.scalars(
                select(Organisation.company_number).where(Organisation.company_number.is_not(None))
            )
        ),
        postcodes=postcodes,
    )


def _postcode_of(location: dict[str, Any]) -> str | None:
    if location.get("postcode"):
        return str(location["postcode"])
    for address in location.get("addresses") or location.get("physical_addresses") or []:
        if isinstance(address, dict) and address.get("postal_code"):
            return str(address["postal_code"])
    return None


def _address_of(location: dict[str, Any]) -> dict[str, Any]:
    for address in location.get("addresses") or location.get("physical_addresses") or []:
        if isinstance(address, dict):
            return address
    return {}


def _identifier(row: dict[str, Any], *kinds: str) -> str | None:
    """An organisation identifier (ORUK ``organization_identifiers``) of one of ``kinds``
    (a scheme like GB-CHC or a type like "charity number")."""
    for identifier in row.get("organization_identifiers") or []:
        if not isinstance(identifier, dict):
            continue
        labels = {
            str(identifier.get("identifier_scheme") or "").lower(),
            str(identifier.get("identifier_type") or "").lower(),
        }
        if labels & set(kinds) and identifier.get("identifier"):
            return str(identifier["identifier"])
    return None


def _plan_organisation(row: Any, lookups: Lookups, seen: dict[str, set[str]]) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise RowError("is not an object")
    oruk_id = _row_id(row)
    if oruk_id is None:
        raise RowError("“id” is missing")
    try:
        charity = normalise_charity_number(
            _identifier(row, "gb-chc", "gb-sc", "gb-nic", "charity number", "charity")
        )
        company = normalise_company_number(_identifier(row, "gb-coh", "company number", "company"))
    except OrganisationError as error:
        raise RowError(str(error)) from None
    for number, taken, label in (
        (charity, lookups.charity_numbers | seen["charity"], "charity"),
        (company, lookups.company_numbers | seen["company"], "company"),
    ):
        if number and number in taken:
            raise RowError(f"an organisation with {label} number {number} is already registered")
    if charity:
        seen["charity"].add(charity)
    if company:
        seen["company"].add(company)
    return {
        "oruk_id": oruk_id,
        "name": _text(row, "name", 200, required=True),
        "description": _text(row, "description", 20000) or "",
        "website": _text(row, "website", 500) or _text(row, "url", 500),
        "email": _text(row, "email", 320),
        "charity_number": charity,
        "company_number": company,
    }


def _plan_location(row: Any, lookups: Lookups) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise RowError("is not an object")
    oruk_id = _row_id(row)
    if oruk_id is None:
        raise RowError("“id” is missing")
    address = _address_of(row)
    postcode_text = _postcode_of(row)
    postcode = normalise_postcode(postcode_text) if postcode_text else None
    if postcode_text and postcode is None:
        raise RowError(f"postcode “{postcode_text}” is not a real postcode")
    lat, lon = row.get("latitude"), row.get("longitude")
    la_code = None
    if lat not in (None, "") and lon not in (None, ""):
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            raise RowError("latitude and longitude must be numbers") from None
        if not (math.isfinite(lat) and math.isfinite(lon)) or not (
            LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
        ):
            raise RowError(f"the point {lat}, {lon} is not in Great Britain")
        if postcode in lookups.postcodes:
            la_code = lookups.postcodes[postcode][2]
    elif postcode is None:
        raise RowError("has neither a postcode nor latitude and longitude")
    elif postcode not in lookups.postcodes:
        raise RowError(f"postcode “{postcode}” does not exist")
    else:
        lat, lon, la_code = lookups.postcodes[postcode]
    line_1 = _text(address, "address_1", 200) or ""
    return {
        "oruk_id": oruk_id,
        "name": _text(row, "name", 200) or line_1 or postcode or "Location",
        "address_line_1": line_1,
        "address_line_2": _text(address, "address_2", 200) or "",
        "town": _text(address, "city", 100) or "",
        "postcode": postcode or "",
        "point": f"SRID=4326;POINT({lon} {lat})",
        "la_code": la_code,
        "virtual": str(row.get("location_type") or "").lower() == "virtual",
        "organisation_oruk_id": _row_id({"id": row.get("organization_id")}),
    }


def _plan_service(
    row: Any,
    organisation_known: bool,
    mappings: list[Mapping],
    locations: list[dict[str, Any]],
    languages: list[str],
) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise RowError("is not an object")
    if not organisation_known:
        raise RowError(
            f"organisation “{row.get('organization_id')}” is missing from the file or was not imported"
        )
    status_text = str(row.get("status") or "active").lower()
    if status_text == "defunct":
        raise RowError("the service is defunct")
    min_age = _whole_number(row, "minimum_age", high=120)
    max_age = _whole_number(row, "maximum_age", high=120)
    if min_age is not None and max_age is not None and min_age > max_age:
        raise RowError(f"minimum_age {min_age} is more than maximum_age {max_age}")
    capacity, available = None, None
    for entry in row.get("capacities") or []:
        if isinstance(entry, dict):
            capacity = _whole_number(entry, "maximum", high=PLACES_MAX)
            available = _whole_number(entry, "available", high=PLACES_MAX)
            break
    vocabulary: dict[str, list[str]] = defaultdict(list)
    for mapping in mappings:
        if mapping.field and mapping.value not in vocabulary[mapping.field]:
            vocabulary[mapping.field].append(mapping.value or "")
    if not vocabulary["delivery_modes"]:
        physical = [location for location in locations if not location["virtual"]]
        vocabulary["delivery_modes"] = (
            [DeliveryMode.IN_PERSON.value] if physical else [DeliveryMode.REMOTE.value]
        )
    if not vocabulary["referral_routes"]:
        vocabulary["referral_routes"] = [ReferralRoute.PROFESSIONAL.value]
    status = STATUS_MAP.get(status_text, ServiceStatus.DRAFT)
    needs = sorted({m.need_code for m in mappings if m.need_code})
    if not needs:
        status = ServiceStatus.DRAFT
    if capacity is not None and available is not None and available > capacity:
        raise RowError(f"capacity available {available} is more than maximum {capacity}")
    waiting = (
        _whole_number(row, "waiting_days", high=WAITING_DAYS_MAX) if "waiting_days" in row else None
    )
    return {
        "oruk_id": _row_id(row),
        "name": _text(row, "name", 200, required=True),
        "summary": (_text(row, "alternate_name", 300) or _text(row, "summary", 300) or "")[:300],
        "description": _text(row, "description", 20000) or "",
        "status": status,
        "min_age": min_age,
        "max_age": max_age,
        "capacity": capacity,
        "capacity_status": (CapacityStatus.FULL if available == 0 else CapacityStatus.AVAILABLE),
        "waiting_days": waiting,
        "contact_email": _text(row, "email", 320),
        "languages": languages,
        "interpreter_available": bool(row.get("interpretation_services")),
        "need_codes": needs,
        **{name: vocabulary.get(name, []) for name in FIELD_TAXONOMIES},
    }


def plan(tables: OrukTables, lookups: Lookups, *, progress: bool = False) -> Plan:
    """Decide what to import. Pure over ``tables`` and ``lookups``: no database access."""
    result = Plan()
    seen_numbers: dict[str, set[str]] = {"charity": set(), "company": set()}
    good_organisations: set[str] = set(lookups.organisation_ids)
    for index, row in enumerate(tables.organizations):
        oruk_id = _row_id(row)
        if oruk_id in lookups.organisation_ids:
            continue
        try:
            planned = _plan_organisation(row, lookups, seen_numbers)
        except RowError as error:
            result.problems.append(Problem("organizations", index, oruk_id, str(error)))
            continue
        if planned["oruk_id"] in good_organisations:
            result.problems.append(
                Problem("organizations", index, oruk_id, "duplicate id in the file")
            )
            continue
        good_organisations.add(planned["oruk_id"])
        result.organisations.append(planned)

    good_locations: dict[str, dict[str, Any]] = {}
    bad_locations: dict[str, str] = {}
    for index, row in enumerate(tables.locations):
        oruk_id = _row_id(row)
        if oruk_id in lookups.location_ids:
            good_locations[oruk_id] = {"oruk_id": oruk_id, "virtual": False, "existing": True}
            continue
        try:
            planned = _plan_location(row, lookups)
        except RowError as error:
            result.problems.append(Problem("locations", index, oruk_id, str(error)))
            if oruk_id:
                bad_locations[oruk_id] = str(error)
            continue
        if planned["oruk_id"] in good_locations:
            result.problems.append(Problem("locations", index, oruk_id, "duplicate id in the file"))
            continue
        planned["index"] = index
        good_locations[planned["oruk_id"]] = planned

    terms = {
        _row_id(term): Term(
            id=str(term.get("id")),
            code=str(term.get("code") or ""),
            name=str(term.get("name") or ""),
            taxonomy=_taxonomy_name(term, tables),
        )
        for term in tables.taxonomy_terms
        if isinstance(term, dict) and _row_id(term)
    }
    term_mappings = {
        term_id: map_term(term, lookups.need_codes, lookups.need_names)
        for term_id, term in terms.items()
    }
    service_terms: dict[str, list[str]] = defaultdict(list)
    for attribute in tables.attributes:
        if not isinstance(attribute, dict):
            continue
        if str(attribute.get("link_type") or "service").lower() not in ("service", "services"):
            continue
        service_terms[str(attribute.get("link_id"))].append(str(attribute.get("taxonomy_term_id")))
    links: dict[str, list[str]] = defaultdict(list)
    for link in tables.service_at_locations:
        if isinstance(link, dict) and link.get("service_id") is not None:
            links[str(link["service_id"])].append(str(link.get("location_id")))

    placed_locations: set[str] = set()
    seen_services: set[str] = set()
    rows = enumerate(tables.services)
    for index, row in tqdm(
        rows,
        total=len(tables.services),
        desc="Checking services",
        unit="service",
        disable=not progress,
    ):
        if not isinstance(row, dict):
            result.problems.append(Problem("services", index, None, "is not an object"))
            continue
        oruk_id = _row_id(row)
        if oruk_id is None:
            result.problems.append(Problem("services", index, None, "“id” is missing"))
            continue
        if oruk_id in seen_services:
            result.problems.append(Problem("services", index, oruk_id, "duplicate id in the file"))
            continue
        seen_services.add(oruk_id)
        if oruk_id in lookups.service_ids:
            result.skipped_existing += 1
            continue
        try:
            location_ids = links.get(oruk_id, [])
            for location_id in location_ids:
                if location_id in bad_locations:
                    raise RowError(
                        f"its location “{location_id}” was not imported: {bad_locations[location_id]}"
                    )
                if location_id not in good_locations:
                    raise RowError(f"its location “{location_id}” is not in the file")
            mappings = []
            for term_id in service_terms.get(oruk_id, []):
                mapping = term_mappings.get(term_id)
                if mapping is None:
                    raise RowError(f"taxonomy term “{term_id}” is not in the file")
                if not mapping.mapped:
                    result.unmapped[
                        (terms[term_id].taxonomy, terms[term_id].code, terms[term_id].name)
                    ] += 1
                mappings.append(mapping)
            planned = _plan_service(
                row,
                str(row.get("organization_id")) in good_organisations
                if isinstance(row, dict)
                else False,
                mappings,
                [good_locations[i] for i in location_ids],
                _languages(row),
            )
        except RowError as error:
            result.problems.append(Problem("services", index, oruk_id, str(error)))
            continue
        planned["organisation_oruk_id"] = str(row["organization_id"])
        result.services.append(planned)
        result.service_needs.extend((oruk_id, code) for code in planned.pop("need_codes"))
        for location_id in dict.fromkeys(location_ids):
            result.service_locations.append((oruk_id, location_id))
            placed_locations.add(location_id)

    # A location belongs to the organisation of a service delivered there, or to the
    # organisation the file names; one with neither has nobody to belong to.
    service_owner = {s["oruk_id"]: s["organisation_oruk_id"] for s in result.services}
    owners: dict[str, str] = {}
    for service_id, location_id in result.service_locations:
        owners.setdefault(location_id, service_owner[service_id])
    for oruk_id, location in good_locations.items():
        if location.get("existing"):
            continue
        owner = owners.get(oruk_id) or location["organisation_oruk_id"]
        if owner not in good_organisations:
            if oruk_id not in placed_locations:
                result.problems.append(
                    Problem(
                        "locations",
                        location["index"],
                        oruk_id,
                        "is not used by any imported service or organisation",
                    )
                )
            continue
        location["organisation_oruk_id"] = owner
        result.locations.append(location)
    return result


def _taxonomy_name(term: dict[str, Any], tables: OrukTables) -> str:
    if term.get("taxonomy"):
        return str(term["taxonomy"])
    taxonomy_id = term.get("taxonomy_id")
    for taxonomy in tables.taxonomies:
        if isinstance(taxonomy, dict) and str(taxonomy.get("id")) == str(taxonomy_id):
            return str(taxonomy.get("name") or "")
    return ""


def _languages(row: Any) -> list[str]:
    if not isinstance(row, dict):
        return []
    codes = []
    for language in row.get("languages") or []:
        code = language.get("code") if isinstance(language, dict) else language
        if isinstance(code, str) and code.lower() in LANGUAGES and code.lower() not in codes:
            codes.append(code.lower())
    return codes


# Applying ------------------------------------------------------------------------------


def _chunks(rows: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _allocate_ids(table: str, count: int) -> list[int]:
    """Take ``count`` ids from the table's sequence, so rows can be COPYed with them."""
    if not count:
        return []
    return list(
        db.session.scalars(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :count)"
            ),
            {"count": count},
        )
    )


def _copy(table: str, rows: list[dict[str, Any]], bar: tqdm | None = None) -> None:
    """COPY ``rows`` into ``table`` inside the session's transaction.

    COPY rather than INSERT: multi-row INSERTs of 10,000 rows spend most of their time
    building and parsing statements; COPY streams the rows and runs in a fraction of it.
    Every row must have the same keys; missing columns take their database defaults.
    """
    if not rows:
        return
    columns = list(rows[0])
    # Enums and JSON need adapting; decide per column once, from the first row.
    adapt = [column for column in columns if isinstance(rows[0][column], enum.Enum | dict)]
    connection = db.session.connection().connection.driver_connection
    assert connection is not None  # a live psycopg connection inside the transaction
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            if adapt:
                row = {**row, **{column: _copy_value(row[column]) for column in adapt}}
            copy.write_row([row[column] for column in columns])
            if bar is not None:
                bar.update()


def _copy_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return Jsonb(value)
    return value


def _insert_with_ids(model: Any, rows: list[dict[str, Any]], bar: tqdm) -> dict[str, int]:
    """Insert ``rows`` with freshly allocated ids; answers oruk id -> new id."""
    table = model.__tablename__
    ids = _allocate_ids(table, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    _copy(table, rows, bar)
    return {row["oruk_id"]: row["id"] for row in rows}


def apply(
    result: Plan,
    *,
    actor: User | None,
    filename: str,
    verified: bool = False,
    progress: bool = False,
) -> ImportRun:
    """Insert everything in ``result`` in the current transaction and record the run."""
    now = utcnow()
    lookups_needed = {location["la_code"] for location in result.locations if location["la_code"]}
    area_ids = (
        dict(
            db.session.execute(
                select(Area.code, Area.id).where(_among(Area.code, lookups_needed))
            ).all()
        )
        if lookups_needed
        else {}
    )
    total = len(result.organisations) + len(result.locations) + len(result.services)
    with tqdm(total=total, desc="Importing", unit="row", disable=not progress) as bar:
        # Services and locations may belong to organisations imported earlier.
        organisation_ids = _ids_by_oruk_id(
            Organisation,
            {s["organisation_oruk_id"] for s in result.services}
            | {location["organisation_oruk_id"] for location in result.locations},
        )
        organisation_ids.update(
            _insert_with_ids(
                Organisation,
                [
                    {
                        **organisation,
                        "status": VerificationStatus.VERIFIED
                        if verified
                        else VerificationStatus.PENDING,
                        "last_verified_at": now if verified else None,
                        "submitted_at": now,
                    }
                    for organisation in result.organisations
                ],
                bar,
            )
        )
        location_rows = []
        for location in result.locations:
            location_rows.append(
                {
                    "oruk_id": location["oruk_id"],
                    "organisation_id": organisation_ids[location["organisation_oruk_id"]],
                    "name": location["name"],
                    "address_line_1": location["address_line_1"],
                    "address_line_2": location["address_line_2"],
                    "town": location["town"],
                    "postcode": location["postcode"],
                    "point": location["point"],
                    "hidden": False,
                    "area_id": area_ids.get(location["la_code"]),
                }
            )
        location_ids = _insert_with_ids(Location, location_rows, bar)
        location_ids.update(
            _ids_by_oruk_id(
                Location,
                {place for _, place in result.service_locations} - set(location_ids),
            )
        )
        service_rows = []
        for service in result.services:
            row = {k: v for k, v in service.items() if k != "organisation_oruk_id"}
            row["organisation_id"] = organisation_ids[service["organisation_oruk_id"]]
            row["version"] = 1
            row["published_at"] = now if row["status"] == ServiceStatus.PUBLISHED else None
            row["capacity_updated_at"] = now
            service_rows.append(row)
        service_ids = _insert_with_ids(Service, service_rows, bar)

    _copy(
        service_location.name,
        [
            {"service_id": service_ids[service], "location_id": location_ids[place]}
            for service, place in result.service_locations
        ],
    )
    _copy(
        service_need.name,
        [
            {"service_id": service_ids[service], "need_code": code}
            for service, code in result.service_needs
        ],
    )
    _fill_areas_by_boundary(list(location_ids.values()))
    _write_first_versions(result, service_ids, location_ids, actor)
    _copy(
        IndexOutbox.__tablename__,
        [{"service_id": service_id, "reason": "import"} for service_id in service_ids.values()],
    )
    run = ImportRun(
        kind=ImportKind.ORUK,
        filename=filename[:255],
        started_by_id=actor.id if actor else None,
        imported=result.counts(),
        problems=[problem.as_dict() for problem in result.problems],
        unmapped_terms=[
            {"taxonomy": taxonomy, "code": code, "name": name, "services": count}
            for (taxonomy, code, name), count in result.unmapped.most_common()
        ],
    )
    db.session.add(run)
    db.session.flush()
    record("directory_imported", run, actor=actor, **result.counts())
    return run


def _fill_areas_by_boundary(location_ids: list[int]) -> None:
    """Locations given only as coordinates get their local authority by point-in-polygon,
    in one statement."""
    if not location_ids:
        return
    db.session.execute(
        text(
            "UPDATE location SET area_id = area.id FROM area "
            "WHERE location.id = ANY(:ids) AND location.area_id IS NULL "
            "AND area.kind = 'local_authority' AND area.boundary IS NOT NULL "
            "AND ST_Intersects(area.boundary, location.point::geometry)"
        ),
        {"ids": location_ids},
    )


def _write_first_versions(
    result: Plan, service_ids: dict[str, int], location_ids: dict[str, int], actor: User | None
) -> None:
    from marketplace.directory.services import SCALAR_FIELDS

    needs: dict[str, list[str]] = defaultdict(list)
    for service_id, code in result.service_needs:
        needs[service_id].append(code)
    places: dict[str, list[int]] = defaultdict(list)
    for service_id, location_id in result.service_locations:
        places[service_id].append(location_ids[location_id])
    rows = []
    for service in result.services:
        snapshot = {name: service.get(name) for name in SCALAR_FIELDS}
        for name in ("genders", "cjs_stages", "risk_levels", "offence_exclusions", "accessibility"):
            snapshot[name] = snapshot[name] or []
        snapshot["capacity_status"] = str(service["capacity_status"])
        snapshot["status"] = str(service["status"])
        snapshot["opening_times"] = snapshot["opening_times"] or ""
        snapshot["evenings_only"] = False
        snapshot["need_codes"] = sorted(needs[service["oruk_id"]])
        snapshot["area_ids"] = []
        snapshot["location_ids"] = sorted(places[service["oruk_id"]])
        rows.append(
            {
                "service_id": service_ids[service["oruk_id"]],
                "version": 1,
                "changed_by_id": actor.id if actor else None,
                "summary": "Imported from Open Referral UK",
                "snapshot": snapshot,
                "changes": {},
            }
        )
    _copy(ServiceVersion.__tablename__, rows)


def import_tables(
    tables: OrukTables,
    *,
    actor: User | None,
    filename: str,
    verified: bool = False,
    progress: bool = False,
) -> ImportRun:
    """Validate and import ``tables`` in the current transaction (the caller commits)."""
    result = plan(tables, load_lookups(tables), progress=progress)
    return apply(result, actor=actor, filename=filename, verified=verified, progress=progress)
