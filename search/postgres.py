"""The PostgreSQL backend: full-text search, PostGIS distance, service areas and facet
counts, all in one SQL statement (one round trip).

``build_statement`` is pure: it turns a query and a resolved place into a SQLAlchemy
``Select`` without touching the database, so it can be unit-tested by compiling it. The
statement has this shape::

    WITH candidates AS (services passing every non-facet filter, read from service_search
                        alone (plus, for matching, the need coverage); a radius
                        narrows first through the GiST index on each delivery location
                        in service_search_point, which also gives the distance to the
                        nearest one, and may be ORed with delivery areas and remote
                        delivery; with the effective facet values of each, and the sort
                        keys of the order asked for),
         matched AS    (each candidate with one flag per selected facet filter)
    SELECT (count of matched rows passing every facet filter)          AS total,
           (the page of hits as JSON, with needs, locations, highlight;
            or brief: id and distance only)                             AS hits,
           (value counts of every facet, each over the rows passing the
            *other* facet filters, as JSON; one GROUP BY; or none)      AS facets

Distances are on the sphere (``use_spheroid => false``), as Elasticsearch's ``arc``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, array
from sqlalchemy.sql.elements import ColumnElement

from marketplace.directory.models import Location, Service, service_area, service_location
from marketplace.directory.models import service_need as service_need_link
from marketplace.extensions import db
from marketplace.geography.models import Area
from marketplace.organisations.models import Organisation
from marketplace.taxonomy.models import Need
from search import facets as facet_rules
from search.facets import (
    AVAILABLE,
    ENGLISH,
    EVERYONE,
    FACETS,
    RATING_PRIOR_MEAN,
    RATING_PRIOR_WEIGHT,
    REMOTE,
    FacetKind,
    counted_with,
    fold,
    match_values,
)
from search.models import ServiceSearch, ServiceSearchPoint
from search.query import MAX_AGE, Place, SearchQuery, Sort, delivery_areas, reach_applies
from search.results import (
    HIDDEN_DISTANCE_STEP_KM,
    MARK_END,
    MARK_START,
    Backend,
    Hit,
    LocationHit,
    NeedTag,
    SearchResult,
    age_limits,
    parse_highlight,
    shown_distance_km,
)

service = Service.__table__
organisation = Organisation.__table__
document = ServiceSearch.__table__
service_point = ServiceSearchPoint.__table__
location = Location.__table__
need = Need.__table__
area = Area.__table__

FRAGMENT_DELIMITER = "\u001e"
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=2, MaxWords=24, MinWords=10, "
    f"FragmentDelimiter={FRAGMENT_DELIMITER}"
)
ENGLISH_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")


def _strings(values: list[str] | tuple[str, ...]) -> ColumnElement[Any]:
    """A constant array of the code's own strings (never user input), written into the SQL:
    PostgreSQL folds it once, where a bound array would be rebuilt for every row of a
    prepared statement's generic plan."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return literal_column(f"ARRAY[{quoted}]::varchar[]", type_=ARRAY(String))


def _origin() -> ColumnElement[Any]:
    return func.geography(
        func.ST_SetSRID(
            func.ST_MakePoint(
                bindparam("origin_lon", type_=Float), bindparam("origin_lat", type_=Float)
            ),
            4326,
        )
    )


def _distance(origin: ColumnElement[Any]) -> ColumnElement[Any]:
    # <-> on geography is the distance on the sphere, as ST_Distance(a, b, false), faster.
    return cast(location.c.point.op("<->")(origin), Float)


def _accepting(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((func.cardinality(column) == 0, _strings([EVERYONE])), else_=column)


def _capacity_now() -> ColumnElement[Any]:
    status = cast(document.c.capacity_status, String)
    full = and_(
        status == AVAILABLE,
        document.c.capacity.is_not(None),
        document.c.places_taken >= document.c.capacity,
    )
    return case((full, literal("full")), else_=status)


def _nearest(origin: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(document.c.points.op("<->")(origin), Float)


def _orders_by_distance(query: SearchQuery) -> bool:
    """Whether the order of ``query`` looks at the distance (first, or among equals)."""
    return query.effective_sort() not in (Sort.NAME, Sort.NEED_COVERAGE)


def _local(
    query: SearchQuery, place: Place | None, near: ColumnElement[bool] | None
) -> ColumnElement[bool] | None:
    """Within the radius of the place (``near``, see ``_nearby``), or delivering to its
    areas (see ``SearchQuery``); None when the query does not narrow by place."""
    if not reach_applies(query, place):
        return None
    tests: list[ColumnElement[bool]] = []
    if near is not None:
        tests.append(near)
    areas = delivery_areas(query, place)
    if areas is not None:
        # IN rather than EXISTS: the few services delivering to the areas are found once
        # through the area index and hashed, not looked for again on every row.
        tests.append(
            document.c.service_id.in_(
                select(service_area.c.service_id).where(
                    service_area.c.area_id == func.any(bindparam("area_ids", type_=ARRAY(Integer)))
                )
            )
        )
    return or_(*tests) if len(tests) > 1 else tests[0]


def _reach(query: SearchQuery, local: ColumnElement[bool]) -> ColumnElement[bool]:
    """Local, or (with ``include_remote``) delivered remotely."""
    if not query.include_remote:
        return local
    # The cheap test first: OR stops at the first that holds.
    return or_(literal(REMOTE, String) == any_(document.c.delivery_modes), local)


def _listing_weighted_codes() -> Select[Any]:
    """Ids of services listing one of the weighted need codes."""
    return select(service_need_link.c.service_id).where(
        service_need_link.c.need_code == func.any(bindparam("weight_codes", type_=ARRAY(String)))
    )


def _need_coverage(query: SearchQuery) -> Any:
    """(service_id, need_score) of the services listing one of ``query.need_weights``'
    codes: per need the best weight among the codes listed, added up over the needs."""
    if not query.need_weights:
        return None
    weights = (
        func.unnest(
            bindparam("weight_codes", type_=ARRAY(String)),
            bindparam("weight_needs", type_=ARRAY(String)),
            bindparam("weight_values", type_=ARRAY(Integer)),
        )
        .table_valued("code", "need", "weight")
        .render_derived(name="weights")
    )
    per_need = (
        select(
            service_need_link.c.service_id,
            func.max(weights.c.weight).label("best"),
        )
        .select_from(
            service_need_link.join(weights, weights.c.code == service_need_link.c.need_code)
        )
        # Says what the join says, but lets the need-code index find the rows.
        .where(
            service_need_link.c.need_code
            == func.any(bindparam("weight_codes", type_=ARRAY(String)))
        )
        .group_by(service_need_link.c.service_id, weights.c.need)
        .subquery("per_need")
    )
    return (
        select(
            per_need.c.service_id,
            cast(func.sum(per_need.c.best), Integer).label("need_score"),
        )
        .group_by(per_need.c.service_id)
        .subquery("coverage")
    )


def _waiting_now(table: Any, capacity: ColumnElement[Any]) -> ColumnElement[Any]:
    return case(
        (table.c.waiting_days.is_not(None), table.c.waiting_days),
        (capacity == AVAILABLE, literal(0)),
        else_=null(),
    )


def _nearby(origin: ColumnElement[Any], radius_m: ColumnElement[Any]) -> Any:
    """Services with a delivery location within ``radius_m`` of ``origin``, with the
    distance to their nearest location (which is then that one, or nearer)."""
    distance = cast(service_point.c.point.op("<->")(origin), Float)
    return (
        select(service_point.c.service_id, func.min(distance).label("distance_m"))
        .where(func.ST_DWithin(service_point.c.point, origin, radius_m, False))
        .group_by(service_point.c.service_id)
        .subquery("nearby")
    )


def _candidates(query: SearchQuery, place: Place | None) -> Any:
    """Services passing every filter that is not a facet, with what facets, sorting and
    the page need."""
    origin = _origin() if place is not None else None
    radius_m = bindparam("radius_m", type_=Float) if query.radius_km and place is not None else None
    tsquery = (
        func.websearch_to_tsquery(ENGLISH_CONFIG, bindparam("text", type_=String))
        if query.text
        else None
    )

    # Every column read here is service_search's own (copies of service and organisation
    # columns among them): one table per candidate, see search.models.ServiceSearch.
    capacity = _capacity_now()
    waiting = _waiting_now(document, capacity)
    rating = case(
        (
            document.c.rating_count > 0,
            cast(
                (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + document.c.rating_sum)
                / (RATING_PRIOR_WEIGHT + document.c.rating_count),
                Float,
            ),
        ),
        else_=null(),
    )
    languages = case(
        (document.c.interpreter_available, _strings([EVERYONE])),
        (func.cardinality(document.c.languages) == 0, _strings([ENGLISH])),
        else_=document.c.languages,
    )

    source: Any = document
    # Distance to the nearest delivery location: the service's MULTIPOINT, NULL if it has
    # none (remote only). Worked out here, for every candidate, only if the order needs it:
    # on thousands of candidates it is the dearest column. Otherwise the page's hits get it.
    distance: ColumnElement[Any] = (
        _nearest(origin) if origin is not None and _orders_by_distance(query) else null()
    )
    near: ColumnElement[bool] | None = None
    if origin is not None and radius_m is not None:
        # The GiST index on each location's point narrows first; a service within range
        # already has its nearest distance from there. The outer join becomes an inner one
        # whenever ``near`` must hold; inside an OR (areas, remote) it stays a hashed set.
        nearby = _nearby(origin, radius_m)
        source = source.outerjoin(nearby, nearby.c.service_id == document.c.service_id)
        near = nearby.c.service_id.is_not(None)
        if _orders_by_distance(query):
            distance = func.coalesce(nearby.c.distance_m, distance)
    conditions: list[ColumnElement[bool]] = []
    local = _local(query, place, near)
    if local is not None:
        conditions.append(_reach(query, local))
    sort = query.effective_sort()
    coverage = _need_coverage(query) if sort == Sort.NEED_COVERAGE else None
    if query.need_weights:
        conditions.append(document.c.service_id.in_(_listing_weighted_codes()))
    if coverage is not None:
        # An outer join, so that the planner puts the coverage on the hashed side: it
        # cannot estimate how many services it holds (200, it guesses, for thousands) and
        # would otherwise look every one of them up in ``service_search`` by index.
        source = source.outerjoin(coverage, coverage.c.service_id == document.c.service_id)

    if query.published_only:
        conditions.append(document.c.status == "published")
    if query.verified_only:
        conditions.append(document.c.organisation_status == "verified")
    if tsquery is not None:
        # A query of stop words only ("the") has no lexemes: it then filters nothing.
        conditions.append(or_(func.numnode(tsquery) == 0, document.c.document.op("@@")(tsquery)))
    if query.age is not None:
        age = bindparam("age", type_=Integer)
        conditions.append(func.coalesce(document.c.min_age, 0) <= age)
        conditions.append(func.coalesce(document.c.max_age, MAX_AGE) >= age)
    if query.max_waiting_days is not None:
        conditions.append(waiting <= bindparam("max_waiting_days", type_=Integer))

    # Every column here is worked out and kept for each candidate, most of which never
    # reach the page: sort keys only for the order asked for (the page's own values come
    # from the service row, see _hits_json).
    sort_keys: list[ColumnElement[Any]] = []
    if tsquery is not None:
        sort_keys.append(func.ts_rank_cd(document.c.document, tsquery).label("rank"))
    if sort == Sort.NAME:
        sort_keys.append(func.lower(document.c.name).collate("C").label("sort_name"))
    elif sort == Sort.RATING:
        sort_keys += [rating.label("rating_score"), document.c.rating_count]
    elif sort == Sort.WAITING_TIME:
        sort_keys.append(waiting.label("waiting_days"))
    elif sort == Sort.NEED_COVERAGE:
        sort_keys += [
            (coverage.c.need_score if coverage is not None else null()).label("need_score"),
            # (A test on a service that matches nothing may be NULL, not false.)
            (func.coalesce(local, false()) if local is not None else false()).label("local"),
        ]
    return (
        select(
            document.c.service_id.label("id"),
            distance.label("distance_m"),
            *sort_keys,
            document.c.need_codes,
            document.c.delivery_modes,
            array([capacity]).label("capacity_values"),
            _accepting(document.c.genders).label("genders"),
            _accepting(document.c.cjs_stages).label("cjs_stages"),
            _accepting(document.c.risk_levels).label("risk_levels"),
            languages.label("languages"),
            document.c.accessibility,
        )
        .select_from(source)
        .where(*conditions)
        .cte("candidates")
    )


def _facet_column(candidates: Any, facet: facet_rules.FacetField) -> Any:
    return candidates.c["capacity_values" if facet == facet_rules.CAPACITY else facet.index_field]


def _facet_filters(query: SearchQuery, candidates: Any) -> dict[str, ColumnElement[bool]]:
    filters: dict[str, ColumnElement[bool]] = {}
    for facet in FACETS:
        chosen = facet_rules.selected(query, facet)
        if not chosen:
            continue
        column = _facet_column(candidates, facet)
        values = cast(bindparam(f"facet_{facet.name}", type_=ARRAY(String)), ARRAY(String))
        filters[facet.name] = (
            column.contains(values) if facet.kind == FacetKind.ALL else column.overlap(values)
        )
    return filters


def _order(query: SearchQuery, candidates: Any, located: bool) -> list[Any]:
    c = candidates.c
    nearest = [c.distance_m.asc().nulls_last()] if located else []
    sort = query.effective_sort()
    if sort == Sort.RELEVANCE:
        keys = [c.rank.desc(), *nearest]
    elif sort == Sort.DISTANCE:
        keys = nearest
    elif sort == Sort.RATING:
        keys = [c.rating_score.desc().nulls_last(), c.rating_count.desc(), *nearest]
    elif sort == Sort.WAITING_TIME:
        keys = [c.waiting_days.asc().nulls_last(), *nearest]
    elif sort == Sort.NEED_COVERAGE:
        keys = [c.need_score.desc(), c.local.desc()]
    else:
        keys = [c.sort_name.asc()]
    return [*keys, c.id.asc()]  # the id makes every order total, so pages never overlap


def _brief_hits_json(place: Place | None, page: Any) -> Any:
    """The page as ``[[id, distance_m], ...]``: the distance to the nearest location as
    shown (to a hidden one rounded up to the whole ``HIDDEN_DISTANCE_STEP_KM``)."""
    distance: Any = null()
    if place is not None:
        exact = _distance(_origin())
        step_m = HIDDEN_DISTANCE_STEP_KM * 1000
        shown = case((location.c.hidden, func.ceil(exact / step_m) * step_m), else_=exact)
        distance = (
            select(func.min(shown))
            .select_from(service_location.join(location))
            .where(service_location.c.service_id == page.c.id)
            .scalar_subquery()
        )
    return (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(func.json_build_array(page.c.id, distance), page.c.position)
                ),
                literal_column("'[]'::json"),
            )
        )
        .select_from(page)
        .scalar_subquery()
    )


def _json_object(*pairs: tuple[str, Any]) -> ColumnElement[Any]:
    """``json_build_object`` with its keys (the code's own words) written into the SQL:
    bound, each key was one more parameter to send and adapt on every search, and with
    them the statement had more parameters than psycopg caches the parsing of."""
    arguments: list[Any] = []
    for key, value in pairs:
        arguments += [literal_column(f"'{key}'"), value]
    return func.json_build_object(*arguments)


def _hits_json(query: SearchQuery, place: Place | None, page: Any) -> Any:
    origin = _origin() if place is not None else None
    needs = (
        select(
            func.json_agg(
                aggregate_order_by(
                    _json_object(("code", need.c.code), ("name", need.c.name)),
                    need.c.position,
                )
            )
        )
        .select_from(service_need_link.join(need))
        .where(service_need_link.c.service_id == page.c.id)
        .scalar_subquery()
    )
    point = func.geometry(location.c.point)
    hidden = location.c.hidden
    location_distance = _distance(origin) if origin is not None else null()
    locations = (
        select(
            func.json_agg(
                aggregate_order_by(
                    _json_object(
                        ("id", location.c.id),
                        ("name", case((hidden, literal("")), else_=location.c.name)),
                        ("town", case((hidden, literal("")), else_=location.c.town)),
                        ("postcode", case((hidden, literal("")), else_=location.c.postcode)),
                        ("hidden", hidden),
                        ("lat", case((hidden, null()), else_=func.ST_Y(point))),
                        ("lon", case((hidden, null()), else_=func.ST_X(point))),
                        ("area_name", area.c.name),
                        ("distance_m", location_distance),
                    ),  # fmt: skip
                    location_distance.asc().nulls_last() if origin is not None else location.c.id,
                    location.c.id,
                )
            )
        )
        .select_from(
            service_location.join(location).outerjoin(area, area.c.id == location.c.area_id)
        )
        .where(service_location.c.service_id == page.c.id)
        .scalar_subquery()
    )
    highlight: ColumnElement[Any] = null()
    if query.text:
        highlight = func.ts_headline(
            ENGLISH_CONFIG,
            service.c.summary + "\n" + service.c.description,
            func.websearch_to_tsquery(ENGLISH_CONFIG, bindparam("text", type_=String)),
            HEADLINE_OPTIONS,
        )
    source = page.join(service, service.c.id == page.c.id).join(
        organisation, organisation.c.id == service.c.organisation_id
    )
    distance = page.c.distance_m
    if origin is not None and not _orders_by_distance(query):
        source = source.join(document, document.c.service_id == page.c.id)
        distance = _nearest(origin)
    capacity = page.c.capacity_values[1]
    hit = _json_object(
        ("id", service.c.id),
        ("position", page.c.position),
        ("name", service.c.name),
        ("summary", service.c.summary),
        ("organisation_id", organisation.c.id),
        ("organisation_name", organisation.c.name),
        ("organisation_status", organisation.c.status),
        ("delivery_modes", service.c.delivery_modes),
        ("capacity", capacity),
        ("capacity_limit", service.c.capacity),
        ("places_taken", service.c.places_taken),
        ("waiting_days", _waiting_now(service, capacity)),
        ("rating_sum", service.c.rating_sum),
        ("rating_count", service.c.rating_count),
        ("min_age", service.c.min_age),
        ("max_age", service.c.max_age),
        ("distance_m", distance),
        ("rank", page.c.rank if query.text else null()),
        ("needs", needs),
        ("locations", locations),
        ("highlight", highlight),
    )  # fmt: skip
    return (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(hit, page.c.position)),
                literal_column("'[]'::json"),
            )
        )
        .select_from(source)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Shape:
    """What decides the statement's SQL text; every value is a bound parameter. Queries of
    one shape share one statement, so it is built and compiled once, not per search."""

    located: bool
    radius: bool
    delivers_to_area: bool
    text: bool
    age: bool
    max_waiting_days: bool
    published_only: bool
    verified_only: bool
    sort: Sort
    facets: tuple[str, ...]
    reach: bool
    delivery_areas: bool
    include_remote: bool
    need_weights: bool
    count_facets: bool
    brief_hits: bool


def shape_of(query: SearchQuery, place: Place | None) -> Shape:
    return Shape(
        located=place is not None,
        radius=bool(query.radius_km) and place is not None,
        delivers_to_area=query.delivers_to_area and place is not None,
        text=bool(query.text),
        age=query.age is not None,
        max_waiting_days=query.max_waiting_days is not None,
        published_only=query.published_only,
        verified_only=query.verified_only,
        sort=query.effective_sort(),
        facets=tuple(f.name for f in FACETS if facet_rules.selected(query, f)),
        reach=reach_applies(query, place),
        delivery_areas=delivery_areas(query, place) is not None,
        include_remote=query.include_remote,
        need_weights=bool(query.need_weights),
        count_facets=query.count_facets,
        brief_hits=query.brief_hits,
    )


def parameters(query: SearchQuery, place: Place | None) -> dict[str, Any]:
    """The bound values of ``query``'s statement."""
    values: dict[str, Any] = {"limit": query.per_page, "offset": query.offset}
    if place is not None:
        values |= {"origin_lat": place.point.lat, "origin_lon": place.point.lon}
        if query.radius_km:
            values["radius_m"] = query.radius_km * 1000
    areas = delivery_areas(query, place)
    if areas is not None:
        values["area_ids"] = list(areas)
    if query.need_weights:
        values["weight_codes"] = [w.code for w in query.need_weights]
        values["weight_needs"] = [w.need for w in query.need_weights]
        values["weight_values"] = [w.weight for w in query.need_weights]
    if query.text:
        values["text"] = query.text
    if query.age is not None:
        values["age"] = query.age
    if query.max_waiting_days is not None:
        values["max_waiting_days"] = query.max_waiting_days
    for facet in FACETS:
        chosen = facet_rules.selected(query, facet)
        if chosen:
            values[f"facet_{facet.name}"] = list(match_values(facet, chosen))
    return values


_STATEMENTS: dict[Shape, Select[Any]] = {}
_MAX_SHAPES = 512


def build_statement(query: SearchQuery, place: Place | None) -> tuple[Select[Any], dict[str, Any]]:
    """The one statement that answers ``query`` around ``place``, and its parameters (pure:
    builds, never runs; statements are reused across queries of the same ``Shape``).

    The statement returns one row: ``total`` (int), ``hits`` (JSON list, in order) and
    ``facets`` (JSON list of ``[facet, value, count]`` raw buckets, to be folded by
    ``search.facets.fold``).
    """
    shape = shape_of(query, place)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        if len(_STATEMENTS) >= _MAX_SHAPES:
            _STATEMENTS.clear()
        statement = _STATEMENTS[shape] = _build(query, place)
    return statement, parameters(query, place)


def _build(query: SearchQuery, place: Place | None) -> Select[Any]:
    candidates = _candidates(query, place)
    filters = _facet_filters(query, candidates)
    # Each facet filter is worked out once per candidate, then read as a flag by the
    # total, the page and the count of every other facet.
    matched = select(
        candidates, *(condition.label(f"passes_{name}") for name, condition in filters.items())
    ).cte("matched")
    passes = {name: matched.c[f"passes_{name}"] for name in filters}
    passing = and_(true(), *passes.values())
    order = _order(query, matched, place is not None)

    total = select(func.count()).select_from(matched).where(passing).scalar_subquery()
    page = (
        select(matched, func.row_number().over(order_by=order).label("position"))
        .where(passing)
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    return select(
        total.label("total"),
        (
            _brief_hits_json(place, page) if query.brief_hits else _hits_json(query, place, page)
        ).label("hits"),
        _facets_json(matched, passes).label("facets")
        if query.count_facets
        else literal_column("'[]'::json").label("facets"),
    )


def _facets_json(matched: Any, passes: Mapping[str, ColumnElement[Any]]) -> Any:
    """Value counts of every facet, each over the rows passing the *other* facets' flags."""
    values = []
    for facet in FACETS:
        others = [flag for name, flag in passes.items() if counted_with(facet, _by_name(name))]
        values.append(
            select(
                literal(facet.name).label("facet"),
                func.unnest(_facet_column(matched, facet)).label("value"),
            ).where(and_(true(), *others))
        )
    every = union_all(*values).subquery("every_value")
    buckets = (
        select(every.c.facet, every.c.value, func.count().label("count"))
        .group_by(every.c.facet, every.c.value)
        .subquery("buckets")
    )
    facet_json = (
        select(
            func.coalesce(
                func.json_agg(
                    func.json_build_array(buckets.c.facet, buckets.c.value, buckets.c.count)
                ),
                literal_column("'[]'::json"),
            )
        )
        .select_from(buckets)
        .scalar_subquery()
    )
    return facet_json


def _by_name(name: str) -> facet_rules.FacetField:
    return next(facet for facet in FACETS if facet.name == name)


def _location(row: dict[str, Any]) -> LocationHit:
    distance_km = row["distance_m"] / 1000 if row["distance_m"] is not None else None
    return LocationHit(
        id=row["id"],
        name=row["name"],
        town=row["town"],
        postcode=row["postcode"],
        hidden=row["hidden"],
        lat=row["lat"],
        lon=row["lon"],
        area_name=row["area_name"],
        distance_km=shown_distance_km(distance_km, row["hidden"]),
    )


def hit_from_row(row: dict[str, Any]) -> Hit:
    """A hit from one element of the statement's ``hits`` JSON."""
    locations = tuple(_location(loc) for loc in row["locations"] or ())
    shown = [loc.distance_km for loc in locations if loc.distance_km is not None]
    capacity_limit = row["capacity_limit"]
    ages = age_limits(row["min_age"], row["max_age"])
    highlights: tuple[Any, ...] = ()
    if row["highlight"] and MARK_START in row["highlight"]:
        highlights = tuple(
            parse_highlight(fragment)
            for fragment in row["highlight"].split(FRAGMENT_DELIMITER)
            if MARK_START in fragment
        )
    return Hit(
        service_id=row["id"],
        name=row["name"],
        summary=row["summary"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        organisation_verified=row["organisation_status"] == "verified",
        needs=tuple(NeedTag(n["code"], n["name"]) for n in row["needs"] or ()),
        delivery_modes=tuple(row["delivery_modes"]),
        capacity=row["capacity"],
        places_left=(
            max(capacity_limit - row["places_taken"], 0) if capacity_limit is not None else None
        ),
        waiting_days=row["waiting_days"],
        rating=float(row["rating_sum"]) / row["rating_count"] if row["rating_count"] else None,
        rating_count=row["rating_count"],
        min_age=ages[0],
        max_age=ages[1],
        distance_km=min(shown) if shown and row["distance_m"] is not None else None,
        locations=locations,
        highlights=highlights,
        score=row["rank"] if row["rank"] else None,
    )


def facets_from_buckets(query: SearchQuery, buckets: list[list[Any]]) -> dict[str, Any]:
    """Fold raw ``[facet, value, count]`` buckets into facets, one per facet field."""
    raw: dict[str, dict[str, int]] = {facet.name: {} for facet in FACETS}
    for name, value, count in buckets:
        raw[name][value] = count
    return {
        facet.name: fold(facet, raw[facet.name], facet_rules.selected(query, facet))
        for facet in FACETS
    }


# Set on a session that may have written search documents not yet refreshed (they are
# refreshed at commit, see search.models.ServiceSearch); search.sync sets it.
DOCUMENTS_MAY_BE_STALE = "search_documents_may_be_stale"
_REFRESH_NOW = text("SET CONSTRAINTS service_search_refresh IMMEDIATE")
_REFRESH_AT_COMMIT = text("SET CONSTRAINTS service_search_refresh DEFERRED")


def search(query: SearchQuery, place: Place | None) -> SearchResult:
    """Run ``query`` on PostgreSQL: one statement, one round trip (two more only when this
    session has just changed searchable text, to refresh its documents first)."""
    session = db.session()
    session.flush()  # so that changes made in this session are noted before the check
    if session.info.pop(DOCUMENTS_MAY_BE_STALE, False):
        session.execute(_REFRESH_NOW)
        session.execute(_REFRESH_AT_COMMIT)
    statement, values = build_statement(query, place)
    # On the session's connection (and transaction), past the ORM's execution layer: the
    # statement returns plain columns, and it has just been flushed.
    row = session.connection().execute(statement, values).one()
    return SearchResult(
        query=query,
        place=place,
        hits=tuple(
            Hit.brief(hit[0], hit[1] / 1000 if hit[1] is not None else None)
            if query.brief_hits
            else hit_from_row(hit)
            for hit in row.hits
        ),
        total=row.total,
        facets=facets_from_buckets(query, row.facets),
        backend=Backend.POSTGRESQL,
    )
