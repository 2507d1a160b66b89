"""The search result: hits with distances and highlights, facet counts, the total, and
which backend answered. Plain immutable data, the same whichever backend answered."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from search.facets import Facet
from search.query import Place, SearchQuery

# Highlight markers: control characters that never occur in directory text, so a fragment
# can be split into matched and unmatched runs without trusting any HTML from a backend.
MARK_START = "\u0002"
MARK_END = "\u0003"

# A hidden location (a refuge) must not be found by comparing exact distances from
# several postcodes, so distances to it are shown rounded up to a whole kilometre.
HIDDEN_DISTANCE_STEP_KM = 1.0

EARTH_RADIUS_KM = 6371.0087714  # mean radius, as PostGIS (sphere) and Elasticsearch (arc) use


def arc_distance_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle (haversine) distance on the mean-radius sphere."""
    phi1, phi2 = math.radians(a_lat), math.radians(b_lat)
    dphi = phi2 - phi1
    dlambda = math.radians(b_lon - a_lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def shown_distance_km(distance_km: float | None, hidden: bool) -> float | None:
    """The distance to show for a location: exact, or coarsened if its address is hidden."""
    if distance_km is None or not hidden:
        return distance_km
    return math.ceil(distance_km / HIDDEN_DISTANCE_STEP_KM) * HIDDEN_DISTANCE_STEP_KM


def age_limits(min_age: int | None, max_age: int | None) -> tuple[int | None, int | None]:
    """An age range with "no limit" as None at either end (0 and 120 are no limit)."""
    return (min_age or None, max_age if max_age is not None and max_age < 120 else None)


@dataclass(frozen=True)
class Segment:
    text: str
    matched: bool


def parse_highlight(marked: str) -> tuple[Segment, ...]:
    """Split a fragment with ``MARK_START``/``MARK_END`` around matches into segments."""
    segments: list[Segment] = []
    for index, part in enumerate(marked.split(MARK_START)):
        if index == 0:
            if part:
                segments.append(Segment(part.replace(MARK_END, ""), False))
            continue
        matched, _, rest = part.partition(MARK_END)
        if matched:
            segments.append(Segment(matched, True))
        if rest:
            segments.append(Segment(rest, False))
    return tuple(segments)


@dataclass(frozen=True)
class NeedTag:
    code: str
    name: str


@dataclass(frozen=True)
class LocationHit:
    """A delivery location of a hit. For a hidden location only the area and a coarse
    distance are given: ``name``, ``town``, ``postcode`` are empty and ``lat``/``lon`` None."""

    id: int
    name: str
    town: str
    postcode: str
    hidden: bool
    lat: float | None
    lon: float | None
    area_name: str | None
    distance_km: float | None


@dataclass(frozen=True)
class Hit:
    """One matching service. ``distance_km`` is to its nearest delivery location (None
    without a place, or when it has none); ``highlights`` are fragments of its summary and
    description around the words searched for."""

    service_id: int
    name: str
    summary: str
    organisation_id: int
    organisation_name: str
    organisation_verified: bool
    needs: tuple[NeedTag, ...]
    delivery_modes: tuple[str, ...]
    capacity: str
    places_left: int | None
    waiting_days: int | None
    rating: float | None
    rating_count: int
    min_age: int | None
    max_age: int | None
    distance_km: float | None
    locations: tuple[LocationHit, ...]
    highlights: tuple[tuple[Segment, ...], ...] = ()
    score: float | None = None

    @classmethod
    def brief(cls, service_id: int, distance_km: float | None) -> Hit:
        """A hit of a ``brief_hits`` search: the service and its distance, nothing else
        (texts empty, numbers zero or None, no needs or locations)."""
        return cls(
            service_id=service_id,
            name="",
            summary="",
            organisation_id=0,
            organisation_name="",
            organisation_verified=False,
            needs=(),
            delivery_modes=(),
            capacity="",
            places_left=None,
            waiting_days=None,
            rating=None,
            rating_count=0,
            min_age=None,
            max_age=None,
            distance_km=distance_km,
            locations=(),
        )

    @property
    def mapped_locations(self) -> tuple[LocationHit, ...]:
        """Locations that may be shown on a map (never hidden ones)."""
        return tuple(loc for loc in self.locations if loc.lat is not None)


class Backend:
    POSTGRESQL = "postgresql"
    ELASTICSEARCH = "elasticsearch"


@dataclass(frozen=True)
class SearchResult:
    """What a search found.

    ``backend`` says which backend answered; ``fallback_reason`` is set when Elasticsearch
    was asked but PostgreSQL answered instead.
    """

    query: SearchQuery
    place: Place | None
    hits: tuple[Hit, ...]
    total: int
    facets: Mapping[str, Facet]
    backend: str
    fallback_reason: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    @property
    def past_the_end(self) -> bool:
        """The page asked for is beyond the last page of a non-empty result."""
        return self.total > 0 and self.query.page > self.pages
