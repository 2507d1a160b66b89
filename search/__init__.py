"""Service search behind one interface: PostgreSQL (default) and Elasticsearch backends.

The stable interface (used by the search pages, the API and matching)::

    from search import SearchQuery, find_services

    result = find_services(SearchQuery(postcode="M1 1AE", radius_km=16, need_codes=("ete",)))
    result.hits, result.total, result.facets, result.backend

``SearchQuery`` (search.query) documents every field; ``SearchResult`` and ``Hit``
(search.results) every result. ``find_services`` raises ``search.parser.QueryError`` for
input it cannot search with (unknown postcode or need code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from search.engine import find_services
    from search.parser import QueryError, parse_search_args
    from search.query import Place, Point, SearchQuery, Sort
    from search.results import Hit, SearchResult

__all__ = [
    "Hit",
    "Place",
    "Point",
    "QueryError",
    "SearchQuery",
    "SearchResult",
    "Sort",
    "find_services",
    "parse_search_args",
]

_HOMES = {
    "find_services": "search.engine",
    "QueryError": "search.parser",
    "parse_search_args": "search.parser",
    "Place": "search.query",
    "Point": "search.query",
    "SearchQuery": "search.query",
    "Sort": "search.query",
    "Hit": "search.results",
    "SearchResult": "search.results",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: search.models is loaded while the model registry is still
    # being built, before the backends' own imports could be.
    if name not in _HOMES:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
