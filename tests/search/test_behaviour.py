"""Behaviour every backend must share, checked against a brute-force oracle: the right
services, nearest first at the right distances, and facet counts equal to counting by hand."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.extensions import db
from search.engine import find_services
from search.facets import FACETS
from search.query import SearchQuery, Sort
from tests.search.directory import RandomDirectory, expected, place_for

pytestmark = pytest.mark.usefixtures("search_backend")

QUERIES = [
    SearchQuery(postcode="M1 1AE", radius_km=16),
    SearchQuery(postcode="M1 1AE", radius_km=10, need_codes=("accommodation",)),
    SearchQuery(postcode="M13 9PL", radius_km=25, need_codes=("ete", "finance.debt")),
    SearchQuery(postcode="M1 1AE", radius_km=20, need_codes=("drugs_alcohol",), gender="female"),
    SearchQuery(postcode="SK1 3XE", radius_km=30, delivery_modes=("outreach", "remote")),
    SearchQuery(postcode="M1 1AE", radius_km=40, accessibility=("step_free", "hearing_loop")),
    SearchQuery(postcode="M32 0JG", radius_km=40, language="pl", risk_level="high"),
    SearchQuery(postcode="M1 1AE", radius_km=40, cjs_stage="licence", age=19),
    SearchQuery(postcode="M1 1AE", radius_km=40, has_capacity=True, max_waiting_days=14),
    SearchQuery(postcode="M1 1AE", delivers_to_area=True),
    SearchQuery(postcode="M32 0JG", radius_km=5, delivers_to_area=True),
    SearchQuery(postcode="M1 1AE"),
    SearchQuery(need_codes=("accommodation.homeless",)),
    SearchQuery(postcode="M1 1AE", radius_km=40, sort=Sort.RATING),
    SearchQuery(postcode="M1 1AE", radius_km=40, sort=Sort.WAITING_TIME),
    SearchQuery(language="ur", sort=Sort.NAME),
]


def _place(query: SearchQuery, directory: RandomDirectory):  # noqa: ANN202
    return place_for(query)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q)[12:80])
def test_results_totals_and_order_match_a_brute_force_search(
    random_directory: RandomDirectory, query: SearchQuery, search_backend: Any
) -> None:
    query = SearchQuery(**{**query.__dict__, "per_page": 100})
    want = expected(random_directory, query, _place(query, random_directory))

    result = find_services(query)

    assert (result.backend, result.fallback_reason) == (search_backend.name, None)
    assert result.total == want.total
    assert [hit.service_id for hit in result.hits] == want.ids


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q)[12:80])
def test_facet_counts_match_counting_by_hand(
    random_directory: RandomDirectory, query: SearchQuery
) -> None:
    want = expected(random_directory, query, _place(query, random_directory))

    result = find_services(query)

    for facet in FACETS:
        got = {v.value: v.count for v in result.facets[facet.name].values if v.count}
        assert got == {k: v for k, v in want.facets.get(facet.name, {}).items() if v}, facet.name


def test_distances_are_to_the_nearest_location_on_the_sphere(
    random_directory: RandomDirectory,
) -> None:
    query = SearchQuery(postcode="M1 1AE", radius_km=40, per_page=100)
    want = expected(random_directory, query, _place(query, random_directory))

    result = find_services(query)

    assert result.hits
    for hit in result.hits:
        exact = want.distances[hit.service_id]
        nearest = min(hit.locations, key=lambda location: location.distance_km)
        if nearest.hidden:
            # A hidden address is shown to the whole kilometre above, never closer.
            assert exact - 1e-9 <= hit.distance_km <= exact + 1.0
        else:
            assert hit.distance_km == pytest.approx(exact, abs=0.001)
    exact_order = [want.distances[hit.service_id] for hit in result.hits]
    assert exact_order == sorted(exact_order)


def test_pages_are_stable_and_do_not_overlap(random_directory: RandomDirectory) -> None:
    query = SearchQuery(postcode="M1 1AE", radius_km=40, per_page=7)
    everything = find_services(SearchQuery(**{**query.__dict__, "per_page": 100}))

    seen = []
    for page in range(1, -(-everything.total // 7) + 1):
        seen += [hit.service_id for hit in find_services(query.with_page(page)).hits]

    assert seen == [hit.service_id for hit in everything.hits]


def test_a_page_past_the_end_is_empty_and_says_so(random_directory: RandomDirectory) -> None:
    result = find_services(SearchQuery(postcode="M1 1AE", radius_km=40, page=50))

    assert result.hits == ()
    assert result.total > 0
    assert result.past_the_end


def test_unverified_organisations_and_unpublished_services_are_never_found(
    random_directory: RandomDirectory,
) -> None:
    result = find_services(SearchQuery(per_page=100))

    found = {hit.service_id for hit in result.hits}
    hidden = {
        s.id
        for s in random_directory.services
        if s.status != "published" or s.organisation.status != "verified"
    }
    assert hidden and not found & hidden


def test_hidden_locations_never_reveal_their_address_or_position(
    random_directory: RandomDirectory,
) -> None:
    result = find_services(SearchQuery(postcode="M1 1AE", per_page=100))

    hidden = [loc for hit in result.hits for loc in hit.locations if loc.hidden]
    assert hidden
    for location in hidden:
        assert (location.name, location.town, location.postcode) == ("", "", "")
        assert location.lat is None and location.lon is None
    db.session.rollback()
