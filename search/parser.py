"""Reading a search from a query string, and writing one back (for shareable URLs).

Pages and the API take the same parameters, named after Open Referral UK where one fits:
``text``, ``taxonomy_term_id`` (need codes, repeatable), ``postcode``, ``lat``/``lon``,
``proximity`` (metres), ``page``, ``per_page``; and Pathways' own filters for the rest.
``SearchArgs`` is a marshmallow schema (flask-smorest documents it in the OpenAPI file);
``parse_search_args`` applies it to any multi-valued mapping and either returns a
``SearchQuery`` or raises ``QueryError`` with GOV.UK-style messages. Nothing here touches
the database: whether a postcode or need code exists is checked when the search runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from marketplace import vocabulary
from onboarding import postcodes as postcode_format
from search.query import (
    DEFAULT_PER_PAGE,
    MAX_AGE,
    MAX_PER_PAGE,
    MAX_RADIUS_KM,
    MAX_RESULT_WINDOW,
    MAX_TEXT_LENGTH,
    MAX_WAITING_DAYS,
    PAGE_SORTS,
    Point,
    SearchQuery,
    Sort,
)

POSTCODE_MESSAGE = "Enter a real postcode, like M1 1AE"
NEED_CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)?$")
MAX_RADIUS_METRES = round(MAX_RADIUS_KM * 1000)


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str


class QueryError(ValueError):
    """The search cannot run as asked; ``errors`` say why, field by field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors

    @classmethod
    def single(cls, field: str | None, message: str) -> QueryError:
        return cls([FieldError(field, message)])


def normalise_postcode(text: str) -> str | None:
    """A full postcode in normal form ("sw1a1aa" -> "SW1A 1AA"), or a bare postcode
    district ("m1" -> "M1"); None if it cannot be a UK postcode."""
    return postcode_format.normalise_postcode(text) or (
        postcode_format.normalise_outward(text) if " " not in text.strip() else None
    )


def _choice(values: Iterable[str], message: str) -> fields.String:
    return fields.String(validate=validate.OneOf(list(values), error=message))


def _values(enum_class: Any) -> list[str]:
    return [member.value for member in enum_class]


def _whole_number(low: int, high: int, message: str) -> fields.Integer:
    return fields.Integer(
        strict=False,
        validate=validate.Range(min=low, max=high, error=message),
        error_messages={"invalid": message},
    )


def _coordinate(limit: int, message: str) -> fields.Float:
    return fields.Float(
        allow_nan=False,
        validate=validate.Range(min=-limit, max=limit, error=message),
        error_messages={"invalid": message, "special": message},
    )


def _flag(message: str) -> fields.Boolean:
    return fields.Boolean(
        truthy={"true", "1", "yes", "on"},
        falsy={"false", "0", "no", "off"},
        error_messages={"invalid": message},
    )


class SearchArgs(Schema):
    """Query-string parameters of a service search (pages and ``GET /api/v1/services``)."""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    text = fields.String(
        metadata={"description": "Words to search for in service and organisation text."},
        validate=validate.Length(
            max=MAX_TEXT_LENGTH,
            error=f"Search text must be {MAX_TEXT_LENGTH} characters or fewer",
        ),
    )
    taxonomy_term_id = fields.List(
        fields.String(validate=validate.Regexp(NEED_CODE, error="Select needs from the list")),
        metadata={"description": "Need codes (repeatable); a category includes its sub-needs."},
    )
    postcode = fields.String(
        metadata={"description": "A full postcode (M1 1AE) or a postcode district (M1)."}
    )
    lat = _coordinate(90, "Enter a latitude between -90 and 90")
    lon = _coordinate(180, "Enter a longitude between -180 and 180")
    proximity = _whole_number(
        1,
        MAX_RADIUS_METRES,
        f"Enter a distance between 1 metre and {MAX_RADIUS_METRES} metres (100 miles)",
    )
    delivers_to_area = _flag("Delivers to this area must be true or false")
    delivery_mode = fields.List(
        _choice(_values(vocabulary.DeliveryMode), "Select a way of delivering from the list")
    )
    gender = _choice(_values(vocabulary.Gender), "Select a gender from the list")
    age = _whole_number(0, MAX_AGE, f"Enter an age between 0 and {MAX_AGE}")
    cjs_stage = _choice(
        _values(vocabulary.CJSStage), "Select a criminal justice stage from the list"
    )
    risk_level = _choice(_values(vocabulary.RiskLevel), "Select a risk level from the list")
    language = _choice(vocabulary.LANGUAGES, "Select a language from the list")
    accessibility = fields.List(
        _choice(_values(vocabulary.Accessibility), "Select accessibility needs from the list")
    )
    has_capacity = _flag("Has places now must be true or false")
    max_waiting_days = _whole_number(
        0, MAX_WAITING_DAYS, f"Enter a waiting time between 0 and {MAX_WAITING_DAYS} days"
    )
    sort = _choice(_values(PAGE_SORTS), "Sort by relevance, distance, rating, waiting time or name")
    page = _whole_number(1, MAX_RESULT_WINDOW, "Enter a page number, like 2")
    per_page = _whole_number(
        1, MAX_PER_PAGE, f"Enter a number of results per page between 1 and {MAX_PER_PAGE}"
    )

    @pre_load
    def drop_blanks(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        """Empty form fields mean "not given"; text and postcode are trimmed."""
        cleaned: dict[str, Any] = {}
        for key in self.fields:
            value = data.get(key) if hasattr(data, "get") else None
            if isinstance(value, list):
                value = [item.strip() for item in value if isinstance(item, str) and item.strip()]
                if value:
                    cleaned[key] = value
            elif isinstance(value, str) and value.strip():
                cleaned[key] = " ".join(value.split()) if key == "text" else value.strip()
            elif value is not None and not isinstance(value, str):
                cleaned[key] = value
        return cleaned

    @validates_schema
    def check_combinations(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if "postcode" in data and normalise_postcode(data["postcode"]) is None:
            errors["postcode"] = [POSTCODE_MESSAGE]
        if ("lat" in data) != ("lon" in data):
            errors["lat" if "lat" not in data else "lon"] = [
                "Enter both a latitude and a longitude"
            ]
        if "postcode" in data and "lat" in data:
            errors.setdefault("postcode", []).append("Enter a postcode or a position, not both")
        located = "postcode" in data or "lat" in data
        if data.get("proximity") and not located:
            errors.setdefault("postcode", []).append("Enter a postcode to search within a distance")
        if data.get("delivers_to_area") and not located:
            errors.setdefault("postcode", []).append(
                "Enter a postcode to find services that deliver to the area"
            )
        page, per_page = data.get("page", 1), data.get("per_page", DEFAULT_PER_PAGE)
        if (
            isinstance(page, int)
            and isinstance(per_page, int)
            and page * per_page > (MAX_RESULT_WINDOW)
        ):
            errors.setdefault("page", []).append(
                f"Only the first {MAX_RESULT_WINDOW:,} results can be shown: narrow your search"
            )
        if errors:
            raise ValidationError(errors)

    @post_load
    def to_query(self, data: dict[str, Any], **kwargs: Any) -> SearchQuery:
        point = Point(data["lat"], data["lon"]) if "lat" in data else None
        postcode = normalise_postcode(data["postcode"]) if "postcode" in data else None
        proximity = data.get("proximity")
        return SearchQuery(
            text=data.get("text", ""),
            need_codes=tuple(data.get("taxonomy_term_id", ())),
            postcode=postcode,
            point=point,
            radius_km=proximity / 1000 if proximity else None,
            delivers_to_area=data.get("delivers_to_area", False),
            delivery_modes=tuple(data.get("delivery_mode", ())),
            gender=data.get("gender"),
            age=data.get("age"),
            cjs_stage=data.get("cjs_stage"),
            risk_level=data.get("risk_level"),
            language=data.get("language"),
            accessibility=tuple(data.get("accessibility", ())),
            has_capacity=data.get("has_capacity", False),
            max_waiting_days=data.get("max_waiting_days"),
            sort=Sort(data["sort"]) if "sort" in data else None,
            page=data.get("page", 1),
            per_page=data.get("per_page", DEFAULT_PER_PAGE),
        )


def errors_from(messages: Mapping[str, Any]) -> list[FieldError]:
    """Flatten marshmallow messages ({"field": [...]} or {"field": {0: [...]}})."""
    flat: list[FieldError] = []
    for field, value in messages.items():
        name = None if field == "_schema" else field
        if isinstance(value, dict):
            for nested in value.values():
                flat.extend(FieldError(name, str(m)) for m in nested)
        else:
            flat.extend(FieldError(name, str(m)) for m in value)
    # One message per field is enough on a page: the first is the most basic problem.
    seen: set[str | None] = set()
    return [e for e in flat if not (e.field in seen or seen.add(e.field))]  # type: ignore[func-returns-value]


# One instance for every search: the schema keeps no state between loads, and building
# it (copying every field) costs more than the load itself.
SEARCH_ARGS = SearchArgs()


def parse_search_args(args: Mapping[str, Any]) -> SearchQuery:
    """Read a search from a query string (a werkzeug ``MultiDict``, or a plain mapping of
    names to a string or a list of strings). Raises ``QueryError`` for bad input."""
    if not isinstance(args, MultiDict):
        args = MultiDict(
            [
                (key, item)
                for key, value in args.items()
                for item in (value if isinstance(value, list | tuple) else [value])
            ]
        )
    try:
        query: SearchQuery = SEARCH_ARGS.load(MultiDictProxy(args, SEARCH_ARGS))
    except ValidationError as error:
        raise QueryError(errors_from(error.messages_dict)) from None
    return query


def query_args(query: SearchQuery, **changes: Any) -> list[tuple[str, str]]:
    """The query string for ``query`` (in a stable order), the inverse of
    ``parse_search_args``: parsing it again gives an equal query. ``changes`` override
    parameters first (``page=2``; ``None`` removes one)."""
    pairs: list[tuple[str, Any]] = [
        ("text", query.text or None),
        *[("taxonomy_term_id", code) for code in query.need_codes],
        ("postcode", query.postcode),
        ("lat", repr(query.point.lat) if query.point else None),
        ("lon", repr(query.point.lon) if query.point else None),
        ("proximity", round(query.radius_km * 1000) if query.radius_km else None),
        ("delivers_to_area", "true" if query.delivers_to_area else None),
        *[("delivery_mode", mode) for mode in query.delivery_modes],
        ("gender", query.gender),
        ("age", query.age),
        ("cjs_stage", query.cjs_stage),
        ("risk_level", query.risk_level),
        ("language", query.language),
        *[("accessibility", feature) for feature in query.accessibility],
        ("has_capacity", "true" if query.has_capacity else None),
        ("max_waiting_days", query.max_waiting_days),
        ("sort", query.sort.value if query.sort else None),
        ("page", query.page if query.page != 1 else None),
        ("per_page", query.per_page if query.per_page != DEFAULT_PER_PAGE else None),
    ]
    for name, value in changes.items():
        pairs = [(key, v) for key, v in pairs if key != name]
        if value is not None:
            pairs.append((name, value))
    return [(key, str(value)) for key, value in pairs if value is not None]
