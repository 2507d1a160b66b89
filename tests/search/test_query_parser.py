"""The query parser: any query string gives a query or GOV.UK-style field errors, never a
crash, and writing a query back to a URL and reading it again gives the same query."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace import vocabulary
from search.parser import QueryError, SearchArgs, parse_search_args, query_args
from search.query import MAX_RESULT_WINDOW, PAGE_SORTS, Point, SearchQuery, Sort

PARAMETERS = list(SearchArgs().fields)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1",
            "1e309",
            "nan",
            "inf",
            "true",
            "M1 1AE",
            "m1",
            "SW1A",
            "99999999999999999999",
            "accommodation",
            "female",
            "remote",
        ]
    ),
)
query_strings = st.dictionaries(
    st.sampled_from(PARAMETERS), st.lists(values, min_size=1, max_size=3), max_size=8
)


@FUZZ
@given(query_strings)
def test_any_query_string_gives_a_query_or_field_errors(args: dict[str, list[str]]) -> None:
    try:
        query = parse_search_args(args)
    except QueryError as error:
        assert error.errors
        assert all(e.message and e.message[0].isupper() for e in error.errors)
        assert all(e.field is None or e.field in PARAMETERS for e in error.errors)
        return
    assert isinstance(query, SearchQuery)
    assert query.page >= 1 and 1 <= query.per_page <= 100
    assert query.page * query.per_page <= MAX_RESULT_WINDOW
    assert query.radius_km is None or 0 < query.radius_km <= 160.934


@FUZZ
@given(query_strings)
def test_a_parsed_query_survives_a_round_trip_through_its_url(args: dict[str, list[str]]) -> None:
    try:
        query = parse_search_args(args)
    except QueryError:
        return
    assert parse_search_args(dict_of(query_args(query))) == query


def dict_of(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def enum_values(enum_class) -> st.SearchStrategy[str]:  # noqa: ANN001
    return st.sampled_from([member.value for member in enum_class])


queries = st.builds(
    SearchQuery,
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["C", "Z"]), max_size=40),
    need_codes=st.lists(
        st.sampled_from(["accommodation", "ete.employment", "women"]), max_size=3
    ).map(tuple),
    postcode=st.sampled_from([None, "M1 1AE", "SW1A 1AA", "M1"]),
    radius_km=st.sampled_from([None, 1.609, 16.093, 160.934]),
    delivery_modes=st.lists(enum_values(vocabulary.DeliveryMode), max_size=3).map(tuple),
    gender=st.none() | enum_values(vocabulary.Gender),
    age=st.none() | st.integers(0, 120),
    cjs_stage=st.none() | enum_values(vocabulary.CJSStage),
    risk_level=st.none() | enum_values(vocabulary.RiskLevel),
    language=st.none() | st.sampled_from(list(vocabulary.LANGUAGES)),
    accessibility=st.lists(enum_values(vocabulary.Accessibility), max_size=3).map(tuple),
    has_capacity=st.booleans(),
    max_waiting_days=st.none() | st.integers(0, 365),
    sort=st.none() | st.sampled_from(PAGE_SORTS),
    page=st.integers(1, 100),
    per_page=st.integers(1, 100),
)


@FUZZ
@given(queries)
def test_every_valid_query_can_be_written_as_a_url_and_read_back(query: SearchQuery) -> None:
    if query.radius_km and not query.postcode:
        query = SearchQuery(**{**query.__dict__, "radius_km": None})
    text = " ".join(query.text.split())
    query = SearchQuery(**{**query.__dict__, "text": text})

    assert parse_search_args(dict_of(query_args(query))) == query


def test_a_position_instead_of_a_postcode() -> None:
    query = parse_search_args({"lat": "53.4808", "lon": "-2.2426", "proximity": "1609"})

    assert query.point == Point(53.4808, -2.2426)
    assert query.radius_km == pytest.approx(1.609)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("m11ae", "M1 1AE"), (" sw1a  1aa ", "SW1A 1AA"), ("m1", "M1"), ("Sw1a", "SW1A")],
)
def test_postcodes_are_normalised(typed: str, normalised: str) -> None:
    assert parse_search_args({"postcode": typed}).postcode == normalised


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"postcode": "M1 1"}, "postcode", "Enter a real postcode, like M1 1AE"),
        (
            {"postcode": "M1 1AE", "lat": "1", "lon": "1"},
            "postcode",
            "Enter a postcode or a position, not both",
        ),
        ({"lat": "1"}, "lon", "Enter both a latitude and a longitude"),
        (
            {"delivers_to_area": "true"},
            "postcode",
            "Enter a postcode to find services that deliver to the area",
        ),
        (
            {"page": "500", "per_page": "100"},
            "page",
            "Only the first 10,000 results can be shown: narrow your search",
        ),
        ({"sort": "random"}, "sort", "Sort by relevance, distance, rating, waiting time or name"),
        (
            {"max_waiting_days": "400"},
            "max_waiting_days",
            "Enter a waiting time between 0 and 365 days",
        ),
        (
            {"accessibility": ["step_free", "lift"]},
            "accessibility",
            "Select accessibility needs from the list",
        ),
    ],
)
def test_each_problem_has_its_own_message(args: dict, field: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_search_args(args)

    assert (field, message) in {(e.field, e.message) for e in raised.value.errors}


def test_empty_form_fields_mean_not_given() -> None:
    query = parse_search_args({"postcode": "", "age": "", "gender": "", "text": "  "})

    assert query == SearchQuery()


def test_the_sort_falls_back_to_one_that_makes_sense() -> None:
    assert SearchQuery(sort=Sort.DISTANCE).effective_sort() == Sort.NAME
    assert SearchQuery(sort=Sort.RELEVANCE, postcode="M1").effective_sort() == Sort.DISTANCE
    assert SearchQuery(text="housing").effective_sort() == Sort.RELEVANCE
    assert SearchQuery(text="housing", sort=Sort.RATING).effective_sort() == Sort.RATING
