"""How the search page words things and builds its links (pure)."""

from __future__ import annotations

import pytest

from marketplace.service_search import presenters
from search.facets import NEED, fold
from search.query import SearchQuery
from search.results import SearchResult


@pytest.mark.parametrize(
    ("km", "text"),
    [
        (0.05, "less than 0.1 miles"),
        (0.5, "0.3 miles"),
        (1.609344, "1 mile"),
        (16.093, "10 miles"),
        (40.2, "25 miles"),
        (7.0, "4.3 miles"),
    ],
)
def test_distances_are_in_miles(km: float, text: str) -> None:
    assert presenters.miles(km) == text


def test_removing_one_need_keeps_the_others_and_resets_the_page() -> None:
    query = SearchQuery(postcode="M1 1AE", need_codes=("accommodation", "ete"), page=3)

    tags = presenters.selected_tags(query, {"accommodation": "Accommodation", "ete": "Work"})

    need = next(tag for tag in tags if tag.text == "Accommodation")
    assert need.remove_href == "?taxonomy_term_id=ete&postcode=M1+1AE"


def test_pagination_shows_neighbours_and_ellipses() -> None:
    query = SearchQuery(page=5, per_page=10)
    result = SearchResult(query, None, (), 200, {"need": fold(NEED, {}, ())}, "postgresql")

    items = presenters.pagination(result)

    assert items is not None
    numbers = [item.get("number", "…") for item in items["items"]]
    assert numbers == [1, "…", 4, 5, 6, "…", 20]
    assert items["previous"]["href"] == "?per_page=10&page=4"
    assert items["next"]["href"] == "?per_page=10&page=6"
