"""A random directory for behaviour tests, and a brute-force oracle written independently of
the backends: what a search *should* return, computed in plain Python."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from marketplace import vocabulary
from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.geography.models import Area, AreaKind
from marketplace.organisations.models import Organisation, VerificationStatus
from search.places import locate
from search.query import Place, SearchQuery, Sort
from tests.factories import (
    LocationFactory,
    OrganisationFactory,
    ServiceFactory,
    point,
)
from tests.search.places import area

NEEDS = [
    "accommodation",
    "accommodation.homeless",
    "accommodation.tenancy_support",
    "ete",
    "ete.employment",
    "health.mental_health",
    "drugs_alcohol",
    "drugs_alcohol.alcohol",
    "finance.debt",
    "women.domestic_abuse",
]
WORDS = ["housing", "employment", "mentoring", "recovery", "advice", "support", "family"]


@dataclass
class RandomDirectory:
    services: list[Service]
    organisations: list[Organisation]
    areas: dict[str, Area]
    positions: dict[int, tuple[float, float]]  # location id -> (lat, lon)


def _subset(rng: random.Random, values: list[str], empty_chance: float) -> list[str]:
    if rng.random() < empty_chance:
        return []
    return sorted(rng.sample(values, rng.randint(1, min(3, len(values)))))


def _areas() -> dict[str, Area]:
    """Greater Manchester local authorities and the North West (real ones when loaded)."""
    return {
        code: area(code, name, kind=kind)
        for code, name, kind in [
            ("E12000002", "North West", AreaKind.REGION),
            ("E08000003", "Manchester", AreaKind.LOCAL_AUTHORITY),
            ("E08000009", "Trafford", AreaKind.LOCAL_AUTHORITY),
            ("E08000007", "Stockport", AreaKind.LOCAL_AUTHORITY),
            ("E08000004", "Oldham", AreaKind.LOCAL_AUTHORITY),
        ]
    }


def build_random_directory(rng: random.Random, services: int) -> RandomDirectory:
    areas = _areas()
    statuses = [VerificationStatus.VERIFIED] * 8 + [
        VerificationStatus.PENDING,
        VerificationStatus.SUSPENDED,
    ]
    # Built in memory and flushed once: far quicker than a flush per object.
    organisations = [OrganisationFactory.build(status=status) for status in statuses]
    locations: dict[int, list[Location]] = {}
    coordinates: dict[int, tuple[float, float]] = {}
    for organisation in organisations:
        locations[id(organisation)] = []
        for _ in range(rng.randint(1, 3)):
            lat, lon = rng.uniform(53.30, 53.65), rng.uniform(-2.65, -1.95)
            location = LocationFactory.build(
                organisation=organisation,
                point=point(lat, lon),
                hidden=rng.random() < 0.15,
                area=rng.choice(list(areas.values())[1:]),
            )
            locations[id(organisation)].append(location)
            coordinates[id(location)] = (lat, lon)
    made = []
    for number in range(services):
        organisation = rng.choice(organisations)
        capacity = rng.choice([None, 0, 2, 5, 10])
        remote_only = rng.random() < 0.15
        made.append(
            ServiceFactory.build(
                organisation=organisation,
                name=f"{rng.choice(WORDS).capitalize()} service {number}",
                status=ServiceStatus.PUBLISHED if rng.random() < 0.9 else ServiceStatus.PAUSED,
                need_codes=rng.sample(NEEDS, rng.randint(1, 3)),
                genders=_subset(rng, [g.value for g in vocabulary.Gender], 0.5),
                cjs_stages=_subset(rng, [s.value for s in vocabulary.CJSStage], 0.5),
                risk_levels=_subset(rng, [r.value for r in vocabulary.RiskLevel], 0.5),
                languages=_subset(rng, ["en", "pl", "ur", "cy"], 0.4),
                interpreter_available=rng.random() < 0.2,
                accessibility=_subset(rng, [a.value for a in vocabulary.Accessibility][:4], 0.3),
                delivery_modes=["remote"]
                if remote_only
                else _subset(rng, ["in_person", "outreach", "remote"], 0.0),
                capacity=capacity,
                places_taken=rng.randint(0, capacity) if capacity is not None else 0,
                capacity_status=rng.choice(list(vocabulary.CapacityStatus)),
                waiting_days=rng.choice([None, 0, 7, 14, 30, 60]),
                rating_count=(count := rng.choice([0, 0, 1, 4, 12, 40])),
                rating_sum=round(sum(rng.uniform(2.5, 5) for _ in range(count)), 2),
                min_age=rng.choice([None, 16, 18, 25]),
                max_age=rng.choice([None, 25, 65]),
                at=[]
                if remote_only
                else rng.sample(
                    locations[id(organisation)], rng.randint(1, len(locations[id(organisation)]))
                ),
                covering=rng.sample(list(areas.values()), rng.randint(0, 2)),
            )
        )
    db.session.add_all(made)
    db.session.flush()
    positions = {
        location.id: coordinates[id(location)]
        for located in locations.values()
        for location in located
    }
    return RandomDirectory(made, organisations, areas, positions)


# The oracle. Deliberately plain: one service at a time, straight from the documented rules.


def haversine_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance on a sphere of the mean Earth radius (6,371,008.7714 m)."""
    radius = 6371.0087714
    dlat, dlon = math.radians(b_lat - a_lat), math.radians(b_lon - a_lon)
    h = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(a_lat)) * math.cos(math.radians(b_lat)) * math.sin(dlon / 2) ** 2
    )
    return 2 * radius * math.asin(math.sqrt(h))


def nearest_km(
    service: Service, place: Place | None, positions: dict[int, tuple[float, float]]
) -> float | None:
    if place is None or not service.locations:
        return None
    return min(
        haversine_km(place.point.lat, place.point.lon, *positions[loc.id])
        for loc in service.locations
    )


def _capacity_now(service: Service) -> str:
    if (
        service.capacity_status == "available"
        and service.capacity is not None
        and service.places_taken >= service.capacity
    ):
        return "full"
    return str(service.capacity_status.value)


def facet_values(service: Service) -> dict[str, set[str] | None]:
    """What each facet sees of a service; None means "accepts any value"."""
    needs = set()
    for need in service.needs:
        needs.add(need.code)
        if need.parent_code:
            needs.add(need.parent_code)
    if service.interpreter_available:
        languages: set[str] | None = None
    else:
        languages = set(service.languages) or {"en"}
    return {
        "need": needs,
        "delivery_mode": set(service.delivery_modes),
        "capacity": {_capacity_now(service)},
        "gender": set(service.genders) or None,
        "cjs_stage": set(service.cjs_stages) or None,
        "risk_level": set(service.risk_levels) or None,
        "language": languages,
        "accessibility": set(service.accessibility),
    }


def chosen(query: SearchQuery) -> dict[str, set[str]]:
    single = {
        "gender": query.gender,
        "cjs_stage": query.cjs_stage,
        "risk_level": query.risk_level,
        "language": query.language,
    }
    picked = {name: {value} for name, value in single.items() if value}
    if query.need_codes:
        picked["need"] = set(query.need_codes)
    if query.delivery_modes:
        picked["delivery_mode"] = set(query.delivery_modes)
    if query.accessibility:
        picked["accessibility"] = set(query.accessibility)
    if query.has_capacity:
        picked["capacity"] = {"available"}
    return picked


def _facet_passes(name: str, offered: set[str] | None, wanted: set[str]) -> bool:
    if offered is None:
        return True
    if name == "accessibility":
        return wanted <= offered
    return bool(offered & wanted)


def _waiting_now(service: Service) -> int | None:
    if service.waiting_days is not None:
        return service.waiting_days
    return 0 if _capacity_now(service) == "available" else None


def passes_base(
    service: Service,
    query: SearchQuery,
    place: Place | None,
    positions: dict[int, tuple[float, float]],
) -> bool:
    """Every filter that is not a facet."""
    if query.published_only and service.status != ServiceStatus.PUBLISHED:
        return False
    if query.verified_only and service.organisation.status != VerificationStatus.VERIFIED:
        return False
    if query.age is not None:
        lowest = service.min_age or 0
        highest = service.max_age if service.max_age is not None else 120
        if not lowest <= query.age <= highest:
            return False
    if query.max_waiting_days is not None:
        waiting = _waiting_now(service)
        if waiting is None or waiting > query.max_waiting_days:
            return False
    if query.need_weights and need_score(service, query) is None:
        return False
    if (place is not None and query.radius_km) or _delivery_areas(query, place) is not None:
        remote = query.include_remote and "remote" in service.delivery_modes
        if not (is_local(service, query, place, positions) or remote):
            return False
    return True


def is_local(
    service: Service,
    query: SearchQuery,
    place: Place | None,
    positions: dict[int, tuple[float, float]],
) -> bool:
    """Within the radius of the place, or delivering to one of the areas asked for."""
    near = False
    if place is not None and query.radius_km:
        distance = nearest_km(service, place, positions)
        near = distance is not None and distance <= query.radius_km
    areas = _delivery_areas(query, place)
    return near or (areas is not None and any(a.id in areas for a in service.areas))


def _delivery_areas(query: SearchQuery, place: Place | None) -> tuple[int, ...] | None:
    """The areas "delivers to this area" asks for: those given, else the place's."""
    if not query.delivers_to_area:
        return None
    if query.area_ids:
        return query.area_ids
    return place.area_ids if place is not None else None


def need_score(service: Service, query: SearchQuery) -> int | None:
    """Per need the best weight among the codes the service lists; their sum. None when it
    lists none of the codes."""
    listed = {need.code for need in service.needs}
    best: dict[str, int] = {}
    for weight in query.need_weights:
        if weight.code in listed:
            best[weight.need] = max(best.get(weight.need, 0), weight.weight)
    return sum(best.values()) if best else None


@dataclass
class Expected:
    ids: list[int]  # every matching service, in the query's order
    facets: dict[str, dict[str, int]]
    distances: dict[int, float | None]

    @property
    def total(self) -> int:
        return len(self.ids)


def expected(directory: RandomDirectory, query: SearchQuery, place: Place | None) -> Expected:
    """What ``query`` around ``place`` should find in ``directory``."""
    picked = chosen(query)
    positions = directory.positions
    base = [s for s in directory.services if passes_base(s, query, place, positions)]
    seen = {s.id: facet_values(s) for s in base}
    matching = [
        s for s in base if all(_facet_passes(n, seen[s.id][n], w) for n, w in picked.items())
    ]
    distances = {s.id: nearest_km(s, place, positions) for s in matching}

    facets: dict[str, dict[str, int]] = {}
    for name in seen[base[0].id] if base else []:
        others = {n: w for n, w in picked.items() if n != name or name == "accessibility"}
        pool = [
            s for s in base if all(_facet_passes(n, seen[s.id][n], w) for n, w in others.items())
        ]
        counts: Counter[str] = Counter()
        open_to_all = sum(1 for s in pool if seen[s.id][name] is None)
        for s in pool:
            counts.update(seen[s.id][name] or ())
        if name in {"gender", "cjs_stage", "risk_level", "language"}:
            vocabulary_values = _vocabulary(name)
            facets[name] = {v: counts[v] + open_to_all for v in {*counts, *vocabulary_values}}
        else:
            facets[name] = dict(counts)
    local = {s.id: is_local(s, query, place, positions) for s in matching}
    return Expected(_ordered(matching, query, distances, local), facets, distances)


def _vocabulary(name: str) -> list[str]:
    return {
        "gender": [g.value for g in vocabulary.Gender],
        "cjs_stage": [s.value for s in vocabulary.CJSStage],
        "risk_level": [r.value for r in vocabulary.RiskLevel],
        "language": list(vocabulary.LANGUAGES),
    }[name]


def _ordered(
    matching: list[Service],
    query: SearchQuery,
    distances: dict[int, float | None],
    local: dict[int, bool],
) -> list[int]:
    def distance_key(s: Service) -> tuple[bool, float]:
        d = distances[s.id]
        return (d is None, d or 0.0)

    sort = query.effective_sort()
    if sort == Sort.NEED_COVERAGE:
        matching = sorted(
            matching, key=lambda s: (-(need_score(s, query) or 0), not local[s.id], s.id)
        )
    elif sort == Sort.DISTANCE:
        matching = sorted(matching, key=lambda s: (*distance_key(s), s.id))
    elif sort == Sort.NAME:
        matching = sorted(matching, key=lambda s: (s.name.lower(), s.id))
    elif sort == Sort.WAITING_TIME:

        def waiting_key(s: Service) -> tuple:
            waiting = _waiting_now(s)
            return (
                waiting is None,
                waiting or 0,
                *(distance_key(s) if query.located else ()),
                s.id,
            )

        matching = sorted(matching, key=waiting_key)
    elif sort == Sort.RATING:

        def rating_key(s: Service) -> tuple:
            score = (
                (3.5 * 5 + float(s.rating_sum)) / (5 + s.rating_count) if s.rating_count else None
            )
            return (
                score is None,
                -(score or 0.0),
                -s.rating_count,
                *(distance_key(s) if query.located else ()),
                s.id,
            )

        matching = sorted(matching, key=rating_key)
    return [s.id for s in matching]


def place_for(query: SearchQuery) -> Place | None:
    """Where the search is centred, as the search itself resolves it (the areas containing a
    place are tested on their own in test_places)."""
    return locate(query)
