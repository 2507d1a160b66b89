"""psycopg keeps the parsing of the search statement (see marketplace.driver)."""

from __future__ import annotations

from psycopg import _queries

from search.engine import find_services
from search.query import Point, SearchQuery


def test_the_search_statement_is_parsed_once_then_taken_from_the_cache() -> None:
    query = SearchQuery(point=Point(51.5, -0.14), radius_km=10, need_codes=("accommodation",))
    find_services(query)
    before = _queries._query2pg.cache_info()

    find_services(query)

    after = _queries._query2pg.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits
