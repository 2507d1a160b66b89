"""``flask seed-scale``: the scale data set from DESIGN.md, built with set-based inserts.

1,700 organisations, 10,000 services and 15,000 locations (at real postcodes when the
postcode table is loaded), 60 agencies and 5,000 referrers. Random but repeatable
(seeded). Referrals come from the inbox benchmark's own generator.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from tqdm import tqdm

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.agencies.models import Agency, AgencyKind
from marketplace.database import utcnow
from marketplace.directory.models import (
    Location,
    Service,
    service_area,
    service_location,
    service_need,
)
from marketplace.extensions import db
from marketplace.geography.models import Area, AreaKind
from marketplace.organisations.models import Organisation
from marketplace.taxonomy.models import Need
from marketplace.vocabulary import (
    Accessibility,
    CJSStage,
    OffenceCategory,
)

BATCH = 2000

# Town centres for when the postcode table is empty (lat, lon).
TOWNS = [
    (51.507, -0.128),
    (53.480, -2.243),
    (52.486, -1.890),
    (53.800, -1.549),
    (53.408, -2.992),
    (51.455, -2.588),
    (54.978, -1.618),
    (53.383, -1.466),
    (52.954, -1.158),
    (51.481, -3.179),
    (52.630, 1.297),
    (50.376, -4.143),
    (50.909, -1.404),
    (51.752, -1.258),
    (52.205, 0.121),
    (54.597, -5.930),
    (53.743, -0.332),
    (52.637, -1.135),
    (50.822, -0.137),
    (51.621, -3.943),
]

ORG_WORDS = [
    "Community",
    "Pathways",
    "Recovery",
    "Housing",
    "Futures",
    "Support",
    "Trust",
    "Project",
    "Network",
    "Foundation",
    "Partnership",
    "Hub",
    "Women's",
    "Youth",
]
PLACES = [
    "Northside",
    "Riverside",
    "Eastgate",
    "Westfield",
    "Southbank",
    "Hillcrest",
    "Parkway",
    "Bridgend",
    "Kingsway",
    "Millbrook",
    "Ashford",
    "Oakwood",
]


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert_returning_ids(table: Any, rows: list[dict[str, Any]], label: str) -> list[int]:
    ids: list[int] = []
    for batch in tqdm(list(_batches(rows)), desc=label, unit="batch", leave=False):
        ids.extend(db.session.scalars(insert(table).returning(table.c.id), batch).all())
    return ids


def _insert(table: Any, rows: list[dict[str, Any]], label: str) -> None:
    for batch in tqdm(list(_batches(rows)), desc=label, unit="batch", leave=False):
        db.session.execute(insert(table), batch)


def _points(rng: random.Random, count: int) -> list[tuple[str, str, str | None]]:
    """(postcode, EWKT point, local authority code) for ``count`` locations."""
    have_postcodes = db.session.scalar(text("SELECT EXISTS (SELECT 1 FROM postcode)"))
    if have_postcodes:
        db.session.execute(text("SELECT setseed(:seed)"), {"seed": rng.random() * 2 - 1})
        rows = db.session.execute(
            text(
                "SELECT postcode, ST_AsEWKT(point::geometry), local_authority_code FROM postcode "
                "ORDER BY random() LIMIT :count"
            ),
            {"count": count},
        ).all()
        if len(rows) >= count:
            return [(r[0], r[1], r[2]) for r in rows]
    points: list[tuple[str, str, str | None]] = []
    for _ in range(count):
        lat, lon = rng.choice(TOWNS)
        lat += rng.gauss(0, 0.08)
        lon += rng.gauss(0, 0.12)
        points.append(("ZZ99 9ZZ", f"SRID=4326;POINT({lon:.6f} {lat:.6f})", None))
    return points


def build_scale(
    *,
    organisations: int,
    services: int,
    locations: int,
    seed: int,
    referrers: int = 5000,
    agencies: int = 60,
) -> str:
    """Insert the scale set; returns a one-line summary. Caller commits."""
    if services < organisations or locations < organisations:
        raise ValueError("Every organisation needs at least one service and one location")
    rng = random.Random(seed)
    now = utcnow()
    need_codes = db.session.scalars(select(Need.code).where(Need.parent_code.is_not(None))).all()
    if not need_codes:
        raise ValueError("Load the needs taxonomy first: flask seed-taxonomy")
    areas_by_code = dict(
        db.session.execute(
            select(Area.code, Area.id).where(Area.kind == AreaKind.LOCAL_AUTHORITY)
        ).all()
    )
    base: int = db.session.scalar(select(func.coalesce(func.max(Organisation.id), 0))) or 0
    steps = tqdm(total=5, desc="seed-scale", unit="step")

    agency_ids = _insert_returning_ids(
        Agency.__table__,
        [
            {"name": f"Scale agency {base}-{n}", "kind": rng.choice(list(AgencyKind)).value}
            for n in range(agencies)
        ],
        "agencies",
    )
    password_hash = hash_password("scale-data-password")
    _insert(
        User.__table__,
        [
            {
                "email": f"referrer{base}-{n}@scale.example",
                "name": f"Referrer {n}",
                "password_hash": password_hash,
                "role": Role.REFERRER.value,
                "active": True,
                "agency_id": rng.choice(agency_ids),
            }
            for n in range(referrers)
        ],
        "referrers",
    )
    steps.update()

    organisation_ids = _insert_returning_ids(
        Organisation.__table__,
        [
            {
                "name": f"{rng.choice(PLACES)} {rng.choice(ORG_WORDS)} {rng.choice(ORG_WORDS)} {n}",
                "charity_number": f"S{base + n:07d}",
                "description": "Supporting people in the justice system.",
                "email": f"org{base + n}@scale.example",
                "status": rng.choices(["verified", "pending", "suspended"], [95, 3, 2])[0],
                "last_verified_at": now,
                "submitted_at": now,
            }
            for n in range(organisations)
        ],
        "organisations",
    )
    steps.update()

    points = _points(rng, locations)
    owners = organisation_ids + [
        rng.choice(organisation_ids) for _ in range(locations - organisations)
    ]
    location_rows = [
        {
            "organisation_id": owner,
            "name": f"Location {n}",
            "address_line_1": f"{n % 200 + 1} Main Road",
            "town": "",
            "postcode": postcode,
            "point": point,
            "hidden": rng.random() < 0.02,
        }
        for n, (owner, (postcode, point, _lad)) in enumerate(zip(owners, points, strict=True))
    ]
    location_ids = _insert_returning_ids(Location.__table__, location_rows, "locations")
    area_of_location = {
        lid: areas_by_code.get(p[2] or "") for lid, p in zip(location_ids, points, strict=True)
    }
    locations_of_org: dict[int, list[int]] = {}
    for location_id, owner in zip(location_ids, owners, strict=True):
        locations_of_org.setdefault(owner, []).append(location_id)
    steps.update()

    service_owners = organisation_ids + [
        rng.choice(organisation_ids) for _ in range(services - organisations)
    ]
    service_rows = [_service_row(rng, n, owner, now) for n, owner in enumerate(service_owners)]
    service_ids = _insert_returning_ids(Service.__table__, service_rows, "services")
    steps.update()

    need_links, location_links, area_links = [], [], set()
    for service_id, owner in zip(service_ids, service_owners, strict=True):
        for code in rng.sample(need_codes, rng.randint(1, 4)):
            need_links.append({"service_id": service_id, "need_code": code})
        own = locations_of_org[owner]
        for location_id in rng.sample(own, min(len(own), rng.randint(1, 3))):
            location_links.append({"service_id": service_id, "location_id": location_id})
            if area_of_location.get(location_id):
                area_links.add((service_id, area_of_location[location_id]))
    _insert(service_need, need_links, "service needs")
    _insert(service_location, location_links, "service locations")
    _insert(
        service_area,
        [{"service_id": s, "area_id": a} for s, a in sorted(area_links)],
        "service areas",
    )
    steps.update()
    steps.close()
    return (
        f"Added {organisations} organisations, {services} services, {locations} locations, "
        f"{agencies} agencies and {referrers} referrers."
    )


def _service_row(rng: random.Random, n: int, owner: int, now: Any) -> dict[str, Any]:
    capacity = rng.choice([None, None, 5, 10, 12, 20, 30, 50])
    taken = 0 if capacity is None else rng.randint(0, capacity)
    status = "available"
    if capacity is not None and taken >= capacity:
        status = rng.choice(["full", "waiting_list"])
    min_age = rng.choice([None, None, 18, 18, 21, 10])
    max_age = {10: 17, 21: 25}.get(min_age or 0) if rng.random() < 0.5 else None
    rating_count = rng.choice([0, 0, 1, 3, 8, 15, 40, 120])
    return {
        "organisation_id": owner,
        "name": f"Service {n}: {rng.choice(ORG_WORDS)} support",
        "summary": "Practical and emotional support.",
        "status": rng.choices(["published", "draft", "paused"], [90, 6, 4])[0],
        "description": "One-to-one and group support for people on probation and their families.",
        "min_age": min_age,
        "max_age": max_age,
        "genders": rng.choice([[], [], [], ["female"], ["male"]]),
        "cjs_stages": rng.choice([[], [], rng.sample([s.value for s in CJSStage], 3)]),
        "risk_levels": rng.choice([[], [], ["low", "medium"], ["low", "medium", "high"]]),
        "offence_exclusions": rng.choice(
            [[], [], [], rng.sample([o.value for o in OffenceCategory], 2)]
        ),
        "languages": rng.choice([["en"], ["en"], ["en", "pl"], ["en", "ur", "pa"], ["en", "cy"]]),
        "accessibility": rng.sample([a.value for a in Accessibility], rng.randint(0, 3)),
        "delivery_modes": rng.choice(
            [["in_person"], ["in_person"], ["in_person", "remote"], ["remote"], ["outreach"]]
        ),
        "referral_routes": ["professional"],
        "capacity": capacity,
        "places_taken": taken,
        "capacity_status": status,
        "waiting_days": rng.choice([None, 0, 3, 7, 14, 28, 60]),
        "rating_count": rating_count,
        "rating_sum": round(rating_count * rng.uniform(3.0, 4.9), 2),
        "referrals_received": rating_count * 3,
        "referrals_accepted": int(rating_count * 2.4),
        "appointments_booked": rating_count * 5,
        "appointments_attended": int(rating_count * 3.9),
        "published_at": now,
        "version": 1,
    }


__all__ = ["build_scale"]
