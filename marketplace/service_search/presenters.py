"""What the search page shows, worked out in plain Python (no Flask): the filter panel's
options with their counts, the removable tags for what is selected, the wording of each
result, the map markers and the pagination links. Every link is a query string built by
``search.parser.query_args``, so the page is shareable and works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from marketplace import vocabulary
from search.facets import Facet
from search.parser import FieldError, query_args
from search.query import SearchQuery, Sort
from search.results import Hit, SearchResult

KM_PER_MILE = 1.609344

# (value in metres, label): the distances offered on the page.
DISTANCES: list[tuple[str, str]] = [
    ("", "Any distance"),
    ("1609", "1 mile"),
    ("4828", "3 miles"),
    ("8047", "5 miles"),
    ("16093", "10 miles"),
    ("40234", "25 miles"),
    ("80467", "50 miles"),
]
DEFAULT_DISTANCE = "16093"
WAITING_TIMES: list[tuple[str, str]] = [
    ("", "Any waiting time"),
    ("0", "No wait"),
    ("7", "Up to a week"),
    ("14", "Up to 2 weeks"),
    ("28", "Up to 4 weeks"),
    ("56", "Up to 8 weeks"),
]
SORTS: dict[Sort, str] = {
    Sort.RELEVANCE: "Best match",
    Sort.DISTANCE: "Nearest",
    Sort.RATING: "Highest rated",
    Sort.WAITING_TIME: "Shortest wait",
    Sort.NAME: "Name (A to Z)",
}


def miles(km: float) -> str:
    """ "0.3 miles", "4.5 miles", "10 miles", "1 mile" (whole numbers without a decimal)."""
    value = km / KM_PER_MILE
    if value < 0.1:
        return "less than 0.1 miles"
    shown = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    shown = shown.removesuffix(".0")
    return f"{shown} mile{'' if shown == '1' else 's'}"


def href(query: SearchQuery, **changes: Any) -> str:
    """The page URL's query string for ``query`` with ``changes`` (page resets to 1 unless
    given)."""
    return "?" + urlencode(query_args(query, **{"page": None, **changes}))


def _without(query: SearchQuery, name: str, value: str | None = None) -> str:
    """The query string with one parameter (or one of its values) removed, page reset."""
    pairs = [
        (key, v)
        for key, v in query_args(query, page=None)
        if not (key == name and (value is None or v == value))
    ]
    return "?" + urlencode(pairs)


@dataclass(frozen=True)
class Tag:
    """A selected filter, with the link that removes it."""

    group: str
    text: str
    remove_href: str


def selected_tags(query: SearchQuery, need_names: Mapping[str, str]) -> list[Tag]:
    """One removable tag per filter in use, in the order of the filter panel."""
    tags: list[Tag] = []
    if query.text:
        tags.append(Tag("Words", f"“{query.text}”", _without(query, "text")))
    if query.postcode or query.point:
        place = query.postcode or "your position"
        tags.append(
            Tag(
                "Near",
                place,
                "?"
                + urlencode(
                    query_args(
                        query,
                        page=None,
                        postcode=None,
                        lat=None,
                        lon=None,
                        proximity=None,
                        delivers_to_area=None,
                    )
                ),
            )
        )
    if query.radius_km:
        tags.append(
            Tag("Distance", f"Within {miles(query.radius_km)}", _without(query, "proximity"))
        )
    if query.delivers_to_area:
        tags.append(Tag("Distance", "Delivers to this area", _without(query, "delivers_to_area")))
    for code in query.need_codes:
        tags.append(
            Tag("Need", need_names.get(code, code), _without(query, "taxonomy_term_id", code))
        )
    for mode in query.delivery_modes:
        tags.append(
            Tag(
                "Delivered",
                vocabulary.label(mode, vocabulary.DeliveryMode),
                _without(query, "delivery_mode", mode),
            )
        )
    if query.has_capacity:
        tags.append(Tag("Capacity", "Has places now", _without(query, "has_capacity")))
    if query.max_waiting_days is not None:
        tags.append(
            Tag(
                "Waiting time",
                dict(WAITING_TIMES).get(
                    str(query.max_waiting_days), f"Up to {query.max_waiting_days} days"
                ),
                _without(query, "max_waiting_days"),
            )
        )
    for name, value, enum_class in (
        ("gender", query.gender, vocabulary.Gender),
        ("cjs_stage", query.cjs_stage, vocabulary.CJSStage),
        ("risk_level", query.risk_level, vocabulary.RiskLevel),
    ):
        if value:
            tags.append(
                Tag(FACET_TITLES[name], vocabulary.label(value, enum_class), _without(query, name))
            )
    if query.age is not None:
        tags.append(Tag("Age", f"Aged {query.age}", _without(query, "age")))
    if query.language:
        tags.append(
            Tag(
                "Language",
                vocabulary.LANGUAGES.get(query.language, query.language),
                _without(query, "language"),
            )
        )
    for feature in query.accessibility:
        tags.append(
            Tag(
                "Accessibility",
                vocabulary.label(feature, vocabulary.Accessibility),
                _without(query, "accessibility", feature),
            )
        )
    return tags


FACET_TITLES = {
    "need": "Needs",
    "delivery_mode": "How it is delivered",
    "capacity": "Places",
    "gender": "Gender",
    "cjs_stage": "Criminal justice stage",
    "risk_level": "Risk of serious harm",
    "language": "Language",
    "accessibility": "Accessibility",
}


def _counted(text: str, count: int | None) -> str:
    return text if count is None else f"{text} ({count})"


def option_items(
    facet: Facet | None,
    values: list[tuple[str, str]],
    chosen: set[str],
) -> list[dict[str, Any]]:
    """Checkbox or radio items for govuk-frontend macros, labelled with facet counts."""
    return [
        {
            "value": value,
            "text": _counted(text, facet.count(value) if facet is not None else None),
            "checked": value in chosen,
        }
        for value, text in values
    ]


def select_items(
    facet: Facet | None,
    values: list[tuple[str, str]],
    chosen: str | None,
    any_label: str,
) -> list[dict[str, Any]]:
    """Select options (the first meaning "any"), labelled with facet counts."""
    return [{"value": "", "text": any_label, "selected": not chosen}] + [
        {
            "value": value,
            "text": _counted(text, facet.count(value) if facet is not None else None),
            "selected": value == chosen,
        }
        for value, text in values
    ]


def enum_choices(enum_class: Any) -> list[tuple[str, str]]:
    return [(member.value, vocabulary.label(member)) for member in enum_class]


def need_choices(
    query: SearchQuery, needs: Mapping[str, tuple[str, str | None]]
) -> list[tuple[str, str]]:
    """Need categories, plus any sub-need in the query (so a shared link shows it)."""
    categories = [(code, name) for code, (name, parent) in needs.items() if parent is None]
    extra = [(code, needs[code][0]) for code in query.need_codes if needs.get(code, ("", None))[1]]
    return categories + extra


def distance_items(query: SearchQuery, first_visit: bool) -> list[dict[str, Any]]:
    current = str(round(query.radius_km * 1000)) if query.radius_km else ""
    if first_visit:
        current = DEFAULT_DISTANCE
    choices = list(DISTANCES)
    if current not in dict(choices):
        choices.append((current, f"{miles(query.radius_km or 0)}"))
    return [{"value": v, "text": t, "selected": v == current} for v, t in choices]


def waiting_items(query: SearchQuery) -> list[dict[str, Any]]:
    current = "" if query.max_waiting_days is None else str(query.max_waiting_days)
    choices = list(WAITING_TIMES)
    if current not in dict(choices):
        choices.append((current, f"Up to {current} days"))
    return [{"value": v, "text": t, "selected": v == current} for v, t in choices]


def sort_items(query: SearchQuery) -> list[dict[str, Any]]:
    current = query.effective_sort()
    offered = [
        sort
        for sort in SORTS
        if not (sort == Sort.RELEVANCE and not query.text)
        and not (sort == Sort.DISTANCE and not query.located)
    ]
    return [{"value": s.value, "text": SORTS[s], "selected": s == current} for s in offered]


# Results


def distance_text(hit: Hit) -> str | None:
    if hit.distance_km is None:
        return None
    nearest = next((loc for loc in hit.locations if loc.distance_km == hit.distance_km), None)
    if nearest is not None and nearest.hidden:
        where = f" (address withheld, {nearest.area_name})" if nearest.area_name else ""
        return f"About {miles(hit.distance_km)}{where}"
    if nearest is not None:
        return f"{miles(hit.distance_km)} – {nearest.name}, {nearest.postcode}"
    return miles(hit.distance_km)


def waiting_text(hit: Hit) -> str:
    if hit.waiting_days is None:
        return "Not known"
    if hit.waiting_days == 0:
        return "No wait"
    if hit.waiting_days % 7 == 0:
        weeks = hit.waiting_days // 7
        return f"About {weeks} week{'s' if weeks != 1 else ''}"
    return f"About {hit.waiting_days} days"


def capacity_text(hit: Hit) -> str:
    text = vocabulary.label(hit.capacity, vocabulary.CapacityStatus)
    if hit.capacity == "available" and hit.places_left is not None:
        return f"{text}: {hit.places_left} left"
    return text


CAPACITY_TAG_COLOURS = {
    "available": "govuk-tag--green",
    "waiting_list": "govuk-tag--yellow",
    "full": "govuk-tag--red",
}


def rating_text(hit: Hit) -> str:
    if hit.rating is None:
        return "Not rated yet"
    plural = "s" if hit.rating_count != 1 else ""
    return f"{hit.rating:.1f} out of 5 from {hit.rating_count} rating{plural}"


def map_markers(result: SearchResult, service_url: Callable[[int], str | None]) -> list[dict]:
    """Markers for the map: every location that may be shown, with the result's number so
    the popup and the list agree. Hidden locations never appear."""
    markers = []
    for number, hit in enumerate(result.hits, start=result.query.offset + 1):
        for location in hit.mapped_locations:
            markers.append(
                {
                    "number": number,
                    "service": hit.name,
                    "organisation": hit.organisation_name,
                    "location": location.name,
                    "postcode": location.postcode,
                    "lat": location.lat,
                    "lon": location.lon,
                    "url": service_url(hit.service_id),
                }
            )
    return markers


def pagination(result: SearchResult) -> dict[str, Any] | None:
    """Items for the govukPagination macro, or None for a single page."""
    if result.pages <= 1:
        return None
    query, current, last = result.query, result.query.page, result.pages
    shown = sorted({1, last, current, current - 1, current + 1} & set(range(1, last + 1)))
    items: list[dict[str, Any]] = []
    for index, number in enumerate(shown):
        if index and number - shown[index - 1] > 1:
            items.append({"ellipsis": True})
        items.append(
            {"number": number, "href": href(query, page=number), "current": number == current}
        )
    return {
        "items": items,
        "previous": {"href": href(query, page=current - 1)} if current > 1 else None,
        "next": {"href": href(query, page=current + 1)} if current < last else None,
    }


FIELD_IDS = {
    "text": "text",
    "postcode": "postcode",
    "lat": "postcode",
    "lon": "postcode",
    "proximity": "proximity",
    "taxonomy_term_id": "taxonomy_term_id",
    "page": "results",
    "per_page": "results",
}


def error_summary(errors: list[FieldError]) -> dict[str, Any]:
    """The govukErrorSummary parameters for ``errors``, each linking to its field."""
    return {
        "titleText": "There is a problem",
        "errorList": [
            {"text": e.message, "href": f"#{FIELD_IDS.get(e.field or '', e.field or 'search')}"}
            for e in errors
        ],
    }


def field_errors(errors: list[FieldError]) -> dict[str, dict[str, str]]:
    """{field id: {"text": message}} for the macros' ``errorMessage``."""
    messages: dict[str, dict[str, str]] = {}
    for error in errors:
        key = FIELD_IDS.get(error.field or "", error.field or "search")
        messages.setdefault(key, {"text": error.message})
    return messages


def delivery_text(hit: Hit) -> str:
    return ", ".join(vocabulary.label(mode, vocabulary.DeliveryMode) for mode in hit.delivery_modes)
