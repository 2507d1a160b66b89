"""Matching's searches on every backend, against the brute-force oracle: reach (near, or
delivering to the person's areas, or remote), need weights and the need-coverage order."""

from __future__ import annotations

import math
from typing import Any

import pytest

from marketplace.matches.candidates import candidate_services, need_index, need_weights, reach_query
from marketplace.matches.facts import PersonPlace
from matching import AssessmentFacts, Constraints
from search.engine import find_services
from search.parser import QueryError, parse_search_args
from search.query import NeedWeight, Point, SearchQuery, Sort
from tests.search.directory import RandomDirectory, expected, place_for

# A person with a high need for somewhere to live and a medium one for work: a service
# listing the sub-need or its category meets it fully (twice the severity), one listing
# only a sub-need of "ete" meets that in part (the severity).
WEIGHTS = (
    NeedWeight("accommodation.homeless", "accommodation.homeless", 6),
    NeedWeight("accommodation.homeless", "accommodation", 6),
    NeedWeight("ete", "ete", 4),
    NeedWeight("ete", "ete.employment", 2),
    NeedWeight("drugs_alcohol", "drugs_alcohol", 2),
    NeedWeight("drugs_alcohol", "drugs_alcohol.alcohol", 1),
)
MATCHING = {"need_weights": WEIGHTS, "sort": Sort.NEED_COVERAGE, "count_facets": False}

QUERIES = [
    SearchQuery(postcode="M1 1AE", radius_km=8, include_remote=True, **MATCHING),
    SearchQuery(
        postcode="M1 1AE", radius_km=8, delivers_to_area=True, include_remote=True, **MATCHING
    ),
    SearchQuery(postcode="M32 0JG", radius_km=5, delivers_to_area=True, **MATCHING),
    SearchQuery(postcode="SK1 3XE", radius_km=12, **MATCHING),
    SearchQuery(postcode="M1 1AE", radius_km=8, include_remote=True, need_weights=WEIGHTS),
    SearchQuery(need_weights=WEIGHTS, sort=Sort.NEED_COVERAGE),
    SearchQuery(postcode="M1 1AE", include_remote=True, **MATCHING),
    SearchQuery(postcode="M13 9PL", radius_km=10, include_remote=True, gender="female", **MATCHING),
]


def _everything(query: SearchQuery) -> SearchQuery:
    return SearchQuery(**{**query.__dict__, "per_page": 100})


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q)[12:90])
def test_reach_and_need_coverage_match_a_brute_force_search(
    random_directory: RandomDirectory, query: SearchQuery, search_backend: Any
) -> None:
    query = _everything(query)
    want = expected(random_directory, query, place_for(query))

    result = find_services(query)

    assert (result.backend, result.fallback_reason) == (search_backend.name, None)
    assert result.total == want.total
    assert [hit.service_id for hit in result.hits] == want.ids


def test_the_oracle_cases_are_not_trivial(random_directory: RandomDirectory) -> None:
    """The directory has ties of need coverage between local and remote services, and
    services found only because they are remote, so the order above means something."""
    wide = _everything(QUERIES[0])
    narrow = _everything(SearchQuery(**{**wide.__dict__, "include_remote": False}))
    remote_only = set(expected(random_directory, wide, place_for(wide)).ids) - set(
        expected(random_directory, narrow, place_for(narrow)).ids
    )
    assert remote_only
    assert len(expected(random_directory, wide, place_for(wide)).ids) > 10


def test_given_areas_are_used_instead_of_the_places_and_need_no_place(
    random_directory: RandomDirectory, search_backend: Any
) -> None:
    manchester = random_directory.areas["E08000003"].id
    for query in [
        SearchQuery(delivers_to_area=True, area_ids=(manchester,), include_remote=True, **MATCHING),
        SearchQuery(
            point=Point(53.40, -2.15),
            radius_km=3,
            delivers_to_area=True,
            area_ids=(manchester,),
            **MATCHING,
        ),
    ]:
        query = _everything(query)
        want = expected(random_directory, query, place_for(query))
        assert want.ids, "the case should find something"

        result = find_services(query)

        assert [hit.service_id for hit in result.hits] == want.ids


def test_without_facet_counts_the_hits_are_the_same_and_nothing_is_counted(
    random_directory: RandomDirectory, search_backend: Any
) -> None:
    counted = _everything(SearchQuery(postcode="M1 1AE", radius_km=20, need_codes=("ete",)))
    uncounted = SearchQuery(**{**counted.__dict__, "count_facets": False})

    with_counts, without = find_services(counted), find_services(uncounted)

    assert [h.service_id for h in without.hits] == [h.service_id for h in with_counts.hits]
    assert without.total == with_counts.total
    assert any(v.count for facet in with_counts.facets.values() for v in facet.values)
    assert not any(v.count for facet in without.facets.values() for v in facet.values)


def test_need_coverage_without_need_weights_falls_back_to_the_usual_order() -> None:
    assert SearchQuery(sort=Sort.NEED_COVERAGE).effective_sort() == Sort.NAME
    assert SearchQuery(postcode="M1 1AE", sort=Sort.NEED_COVERAGE).effective_sort() == (
        Sort.DISTANCE
    )
    assert SearchQuery(need_weights=WEIGHTS, sort=Sort.NEED_COVERAGE).effective_sort() == (
        Sort.NEED_COVERAGE
    )


def test_need_weights_are_whole_numbers_from_one() -> None:
    with pytest.raises(ValueError, match="whole number from 1"):
        NeedWeight("ete", "ete", 0)


def test_pages_and_the_api_do_not_offer_matchings_order() -> None:
    with pytest.raises(QueryError) as refused:
        parse_search_args({"sort": "need_coverage"})
    assert refused.value.errors[0].field == "sort"


def test_matching_takes_its_candidates_from_the_configured_backend(
    random_directory: RandomDirectory, search_backend: Any
) -> None:
    manchester = random_directory.areas["E08000003"]
    place = PersonPlace(
        latitude=53.483471,
        longitude=-2.231184,
        area_ids=frozenset({manchester.id}),
        area_codes=frozenset({manchester.code}),
    )
    facts = AssessmentFacts(
        needs={"accommodation.homeless": 3, "ete": 2, "health": 0},
        point=place.point,
        area_codes=place.area_codes,
        constraints=Constraints(max_travel_km=8),
    )
    query = _everything(reach_query(facts, place, need_weights(facts, need_index()), budget=1))
    want = expected(random_directory, query, place_for(query))
    assert len(want.ids) > 12

    found = candidate_services(facts, place, budget=12)

    assert [candidate.service_id for candidate in found] == want.ids[:12]
    for candidate in found:
        exact = want.distances[candidate.service_id]
        if exact is None:
            assert candidate.distance_km is None
        else:  # a hidden location's distance is rounded up to the whole kilometre
            assert exact - 1e-6 <= candidate.distance_km <= math.ceil(exact) + 1e-6


def test_brief_hits_carry_the_same_services_and_distances(
    random_directory: RandomDirectory, search_backend: Any
) -> None:
    full = _everything(QUERIES[1])
    brief = SearchQuery(**{**full.__dict__, "brief_hits": True})

    detailed, short = find_services(full), find_services(brief)

    assert short.total == detailed.total
    assert [(h.service_id, h.distance_km) for h in short.hits] == [
        (h.service_id, pytest.approx(h.distance_km) if h.distance_km is not None else None)
        for h in detailed.hits
    ]
    assert any(h.distance_km is None for h in short.hits)  # remote ones without a location
    assert all(h.name == "" and h.locations == () for h in short.hits)
