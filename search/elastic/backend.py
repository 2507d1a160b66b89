"""Searching Elasticsearch."""

from __future__ import annotations

from typing import Any

from search.elastic.client import CLIENT_ERRORS, SearchUnavailable, alias, client
from search.elastic.query import build_search_body, parse_search_response
from search.facets import FACETS, fold, selected
from search.query import Place, SearchQuery
from search.results import Backend, SearchResult

__all__ = ["SearchUnavailable", "search"]


# Body keys that the client takes under another argument name.
_ARGUMENT_NAMES = {"from": "from_", "_source": "source"}


def as_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``Elasticsearch.search`` that send exactly ``body``."""
    return {_ARGUMENT_NAMES.get(key, key): value for key, value in body.items()}


def search(query: SearchQuery, place: Place | None) -> SearchResult:
    """Run ``query`` on the services alias. Raises ``SearchUnavailable`` if Elasticsearch
    errors or times out."""
    try:
        response = client().search(index=alias(), **as_arguments(build_search_body(query, place)))
    except CLIENT_ERRORS as error:
        raise SearchUnavailable(f"{type(error).__name__}: {error}") from error
    hits, total, buckets = parse_search_response(response.body, place, brief=query.brief_hits)
    return SearchResult(
        query=query,
        place=place,
        hits=tuple(hits),
        total=total,
        facets={
            facet.name: fold(facet, buckets.get(facet.name, {}), selected(query, facet))
            for facet in FACETS
        },
        backend=Backend.ELASTICSEARCH,
    )
