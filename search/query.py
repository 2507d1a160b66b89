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
        delivery_modes: in_person / remote / outreach; any of them.
        gender, cjs_stage, risk_level, language: the person's; a service matches if it
            accepts that value. A service that lists none accepts everyone; a service that
            lists no language works in English; one with an interpreter takes any language.
        age: the person's age; services whose age range includes it.
        accessibility: every one of these features is needed.
        has_capacity: only services with places available now.
        max_waiting_days: only services whose current wait is known and at most this.
        verified_only / published_only: pages and the API always search verified
            organisations' published services; matching may relax these to explain why a
            service was left out.
        sort: None means relevance when there is text, else distance when there is a
            place, else name.
        page, per_page: 1-based page number and page size.
    """

    text: str = ""
    need_codes: tuple[str, ...] = ()
    postcode: str | None = None
    point: Point | None = None
    radius_km: float | None = None
    delivers_to_area: bool = False
    delivery_modes: tuple[str, ...] = ()
    gender: str | None = None
    age: int | None = None
    cjs_stage: str | None = None
    risk_level: str | None = None
    language: str | None = None
    accessibility: tuple[str, ...] = ()
    has_capacity: bool = False
    max_waiting_days: int | None = None
    verified_only: bool = True
    published_only: bool = True
    sort: Sort | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        # Multi-valued fields are kept sorted and unique, so equal queries compare equal.
        for name in ("need_codes", "delivery_modes", "accessibility"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))

    @property
    def located(self) -> bool:
        return self.point is not None or bool(self.postcode)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def effective_sort(self) -> Sort:
        """The order actually used: an explicit choice that makes sense, else the default.

        Distance needs a place and relevance needs text; without them the next sensible
        order is used, so a shared URL never fails because of its sort.
        """
        sort = self.sort
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
