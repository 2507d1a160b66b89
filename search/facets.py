"""Facets: the fields a search can be narrowed by, how each matches, and how counts fold.

Both backends index the same *effective* values for each field (computed here for
Elasticsearch documents, and by the equivalent SQL in ``search.postgres``), count raw
buckets per value, and hand them to ``fold`` here, so the two answer identically.

Three kinds of field:

* ``ANY`` (needs, delivery modes, capacity): the service offers a value; selecting several
  values widens the search (any of them). Counts leave out the field's own selection, so
  the other values still show what choosing them would add.
* ``ALL`` (accessibility): the person needs every selected feature. Counts include the
  selection (each count is what adding that feature would leave).
* ``ACCEPTS`` (gender, CJS stage, risk level, language): the service accepts a value of the
  person's. A service that restricts nothing is indexed with the sentinel ``EVERYONE``;
  a value's count is its own bucket plus the ``EVERYONE`` bucket (they never overlap,
  because a service either lists values or is open to everyone).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from marketplace import vocabulary
from search.query import SearchQuery

EVERYONE = "__all__"
ENGLISH = "en"

# Bayesian smoothing of ratings: every service starts with PRIOR_WEIGHT imaginary ratings of
# PRIOR_MEAN, so one 5-star review does not outrank forty reviews averaging 4.6.
RATING_PRIOR_MEAN = 3.5
RATING_PRIOR_WEIGHT = 5


class FacetKind(enum.StrEnum):
    ANY = "any"
    ALL = "all"
    ACCEPTS = "accepts"


@dataclass(frozen=True, eq=False)
class FacetField:
    """A facet: its name (also the key of its counts in results), how it matches, and the
    index field holding its effective values. The facets are the module's constants, so
    they compare (and hash, as dictionary keys) by identity, not by their vocabularies."""

    name: str
    kind: FacetKind
    index_field: str
    vocabulary: tuple[str, ...] = ()  # empty: open-ended (needs are data, not code)


def _values(enum_class: type[enum.StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum_class)


NEED = FacetField("need", FacetKind.ANY, "need_codes")
DELIVERY_MODE = FacetField(
    "delivery_mode", FacetKind.ANY, "delivery_modes", _values(vocabulary.DeliveryMode)
)
CAPACITY = FacetField("capacity", FacetKind.ANY, "capacity", _values(vocabulary.CapacityStatus))
GENDER = FacetField("gender", FacetKind.ACCEPTS, "genders", _values(vocabulary.Gender))
CJS_STAGE = FacetField("cjs_stage", FacetKind.ACCEPTS, "cjs_stages", _values(vocabulary.CJSStage))
RISK_LEVEL = FacetField(
    "risk_level", FacetKind.ACCEPTS, "risk_levels", _values(vocabulary.RiskLevel)
)
LANGUAGE = FacetField("language", FacetKind.ACCEPTS, "languages", tuple(vocabulary.LANGUAGES))
ACCESSIBILITY = FacetField(
    "accessibility", FacetKind.ALL, "accessibility", _values(vocabulary.Accessibility)
)

FACETS: tuple[FacetField, ...] = (
    NEED,
    DELIVERY_MODE,
    CAPACITY,
    GENDER,
    CJS_STAGE,
    RISK_LEVEL,
    LANGUAGE,
    ACCESSIBILITY,
)

AVAILABLE = "available"
REMOTE = vocabulary.DeliveryMode.REMOTE.value


def selected(query: SearchQuery, facet: FacetField) -> tuple[str, ...]:
    """The values of ``facet`` that ``query`` filters on (empty: no filter)."""
    name = facet.name
    if name == "need":
        return query.need_codes
    if name == "delivery_mode":
        return query.delivery_modes
    if name == "accessibility":
        return query.accessibility
    if name == "capacity":
        return (AVAILABLE,) if query.has_capacity else ()
    if name in _SINGLE_VALUED:
        value = getattr(query, name)
        return (value,) if value else ()
    raise ValueError(f"Unknown facet {name}")


# Facets the query filters on with one value, named as the query's attribute.
_SINGLE_VALUED = frozenset({"gender", "cjs_stage", "risk_level", "language"})


def match_values(facet: FacetField, values: Sequence[str]) -> tuple[str, ...]:
    """The indexed values a filter on ``values`` looks for (adds ``EVERYONE`` for ACCEPTS)."""
    if facet.kind == FacetKind.ACCEPTS:
        return (*values, EVERYONE)
    return tuple(values)


def counted_with(facet: FacetField, other: FacetField) -> bool:
    """Whether ``other``'s filter applies when counting ``facet``'s values."""
    return other != facet or facet.kind == FacetKind.ALL


# Effective values, as both backends index them.


def accepted(values: Sequence[str]) -> list[str]:
    """Eligibility lists: empty means everyone."""
    return sorted(values) if values else [EVERYONE]


def languages_served(languages: Sequence[str], interpreter_available: bool) -> list[str]:
    """Languages a person can be helped in: any with an interpreter, else those listed,
    else English."""
    if interpreter_available:
        return [EVERYONE]
    return sorted(languages) if languages else [ENGLISH]


def capacity_now(status: str, capacity: int | None, places_taken: int) -> str:
    """The capacity status a referrer should see: "available" with no places left is full."""
    if status == AVAILABLE and capacity is not None and places_taken >= capacity:
        return "full"
    return status


def waiting_days_now(waiting_days: int | None, capacity: str) -> int | None:
    """Known waiting time in days: as stated, or none at all when places are available now."""
    if waiting_days is not None:
        return waiting_days
    return 0 if capacity == AVAILABLE else None


def rating_score(rating_sum: float, rating_count: int) -> float | None:
    """The smoothed rating used to sort by rating (None: not rated yet)."""
    if rating_count <= 0:
        return None
    return (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + float(rating_sum)) / (
        RATING_PRIOR_WEIGHT + rating_count
    )


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    field: FacetField
    values: tuple[FacetValue, ...]

    def count(self, value: str) -> int:
        return next((v.count for v in self.values if v.value == value), 0)


def fold(facet: FacetField, buckets: Mapping[str, int], chosen: Sequence[str]) -> Facet:
    """Turn raw bucket counts into a facet.

    An ACCEPTS field lists every value of its vocabulary, each counting its own bucket plus
    the ``EVERYONE`` bucket; other fields list the values found. Selected values are always
    listed, even at zero. Values are ordered by count, then value.
    """
    everyone = buckets.get(EVERYONE, 0)
    counts = {value: count for value, count in buckets.items() if value != EVERYONE}
    if facet.kind == FacetKind.ACCEPTS:
        counts = {value: counts.get(value, 0) + everyone for value in {*counts, *facet.vocabulary}}
    for value in chosen:
        counts.setdefault(value, everyone if facet.kind == FacetKind.ACCEPTS else 0)
    values = tuple(
        FacetValue(value, count, value in chosen)
        for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    return Facet(facet, values)
