"""The search query: what a referrer (or the API, or matching) asks for, as plain data.

``SearchQuery`` is the stable interface of the search package: build one (directly, or with
``search.parser.parse_search_args`` from a query string) and pass it to
``search.find_services``. It is immutable and holds no database objects, so the same query
can be sent to either backend, cached or compared.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

# Limits shared by the parser, both backends and the pages. Elasticsearch refuses to page
# beyond 10,000 results; PostgreSQL could, but the two must behave alike.
MAX_TEXT_LENGTH = 200
MAX_RADIUS_KM = 160.934  # 100 miles: further than that, "delivers to this area" is the question
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_RESULT_WINDOW = 10_000
MAX_WAITING_DAYS = 365
MAX_AGE = 120


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    RATING = "rating"
    WAITING_TIME = "waiting_time"
    NAME = "name"
    # Matching's order (``need_weights`` required): not offered on pages or in the API.
    NEED_COVERAGE = "need_coverage"


# The orders a person can choose on the search page and in the API.
PAGE_SORTS = (Sort.RELEVANCE, Sort.DISTANCE, Sort.RATING, Sort.WAITING_TIME, Sort.NAME)


@dataclass(frozen=True)
class Point:
    """A WGS84 position in decimal degrees."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Place:
    """Where the search is centred, once resolved from a postcode or a point.

    ``area_ids`` are the areas (local authority, police force area, region, country) that
    contain the point; "delivers to this area" matches services covering any of them.
    """

    point: Point
    label: str
    area_ids: tuple[int, ...] = ()


@dataclass(frozen=True, order=True)
class NeedWeight:
    """A service listing need ``code`` earns ``weight`` towards the person's ``need``.

    ``code`` is compared with the codes the service lists itself (a service listing only
    "accommodation.homeless" does not list "accommodation"). Weights are whole numbers
    so that both backends add them up exactly (Elasticsearch scores are 32-bit floats).
    """

    need: str
    code: str
    weight: int

    def __post_init__(self) -> None:
        if self.weight < 1:
            raise ValueError(f"A need weight must be a whole number from 1, not {self.weight}")


@dataclass(frozen=True)
class SearchQuery:
    """One search. Empty fields do not filter.

    Fields:
        text: free text, matched against service name, summary and description, the
            organisation's name and the names of the needs met (English stemming).
        need_codes: taxonomy codes; a service matches if it meets any of them. A category
            ("accommodation") also matches its sub-needs ("accommodation.homeless").
        postcode: a full postcode ("M1 1AE") or a postcode district ("M1"), normalised.
        point: a position, instead of a postcode.
        radius_km: keep services with a delivery location within this distance.
        delivers_to_area: keep services whose service areas contain the place. With a
            radius as well, a service matches if either holds.
        area_ids: with ``delivers_to_area``, the areas to look for instead of those
            containing the place (a caller that knows them saves the look-up; it works
            without a place too, for a person whose area is known but not their point).
        include_remote: with a radius or ``delivers_to_area``, services delivered remotely
            match as well (they reach anyone). Together these are the "reach" of matching:
            near, or delivering to the person's areas, or remote, in one query. A service
            that is near or delivers to the areas is *local*.
        delivery_modes: in_person / remote / outreach; any of them.
        gender, cjs_stage, risk_level, language: the person's; a service matches if it
            accepts that value. A service that lists none accepts everyone; a service that
            lists no language works in English; one with an interpreter takes any language.
        age: the person's age; services whose age range includes it.
        accessibility: every one of these features is needed.
        need_weights: how much each listed need code is worth to the person (see
            ``NeedWeight``). Keeps services listing at least one of the codes; their need
            coverage is, for each of the person's needs, the best weight among the codes
            they list, added up over the needs.
        has_capacity: only services with places available now.
        max_waiting_days: only services whose current wait is known and at most this.
        verified_only / published_only: pages and the API always search verified
            organisations' published services; matching may relax these to explain why a
            service was left out.
        sort: None means relevance when there is text, else distance when there is a
            place, else name. ``NEED_COVERAGE`` (with ``need_weights`` only) is need
            coverage, highest first, then local services first, then by id.
        count_facets: False leaves facet counts out (the result's facets then count
            nothing); for callers that show none, such as matching.
        brief_hits: hits carry only ``service_id`` and ``distance_km`` (``Hit.brief``);
            for callers that read what they need about the services themselves, such as
            matching, so that no backend builds details nobody reads.
        page, per_page: 1-based page number and page size.
    """

    text: str = ""
    need_codes: tuple[str, ...] = ()
    postcode: str | None = None
    point: Point | None = None
    radius_km: float | None = None
    delivers_to_area: bool = False
    area_ids: tuple[int, ...] = ()
    include_remote: bool = False
    delivery_modes: tuple[str, ...] = ()
    gender: str | None = None
    age: int | None = None
    cjs_stage: str | None = None
    risk_level: str | None = None
    language: str | None = None
    accessibility: tuple[str, ...] = ()
    need_weights: tuple[NeedWeight, ...] = ()
    has_capacity: bool = False
    max_waiting_days: int | None = None
    verified_only: bool = True
    published_only: bool = True
    sort: Sort | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    count_facets: bool = True
    brief_hits: bool = False

    def __post_init__(self) -> None:
        # Multi-valued fields are kept sorted and unique, so equal queries compare equal.
        for name in ("need_codes", "delivery_modes", "accessibility", "area_ids", "need_weights"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))

    @property
    def located(self) -> bool:
        return self.point is not None or bool(self.postcode)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def effective_sort(self) -> Sort:
        """The order actually used: an explicit choice that makes sense, else the default.

        Distance needs a place, relevance needs text and need coverage needs need
        weights; without them the next sensible order is used, so a shared URL never fails
        because of its sort.
        """
        sort = self.sort
        if sort == Sort.NEED_COVERAGE and not self.need_weights:
            sort = None
        if sort == Sort.DISTANCE and not self.located:
            sort = None
        if sort == Sort.RELEVANCE and not self.text:
            sort = None
        if sort is not None:
            return sort
        if self.text:
            return Sort.RELEVANCE
        return Sort.DISTANCE if self.located else Sort.NAME

    def with_page(self, page: int) -> SearchQuery:
        return replace(self, page=page)


def delivery_areas(query: SearchQuery, place: Place | None) -> tuple[int, ...] | None:
    """The areas "delivers to this area" looks for: ``query.area_ids`` if given, else the
    place's; None when the filter does not apply (not asked for, or no place and no areas).
    An empty tuple applies and matches nothing (a place inside no known area)."""
    if not query.delivers_to_area:
        return None
    if query.area_ids:
        return query.area_ids
    return place.area_ids if place is not None else None


def reach_applies(query: SearchQuery, place: Place | None) -> bool:
    """Whether ``query`` narrows by place at all (a radius around a place, or areas)."""
    near = place is not None and bool(query.radius_km)
    return near or delivery_areas(query, place) is not None
