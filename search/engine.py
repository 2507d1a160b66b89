"""``find_services``: the one entry point to search, whichever backend is configured.

PostgreSQL is the default and complete on its own. With ``ELASTICSEARCH_URL`` set,
Elasticsearch answers; if it errors or times out, PostgreSQL answers instead, the
failure is logged as a warning, and the result says so (``backend``, ``fallback_reason``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.taxonomy.models import Need
from search import postgres
from search.parser import QueryError
from search.places import locate
from search.query import Place, SearchQuery
from search.results import Backend, SearchResult

log = logging.getLogger(__name__)


# The taxonomy is reference data that changes a few times a year: remember its codes for a
# minute rather than ask the database on every search.
NEED_CODES_TTL_SECONDS = 60.0


def known_need_codes() -> frozenset[str]:
    """Every need code, cached per application for ``NEED_CODES_TTL_SECONDS``."""
    cached = current_app.extensions.get("search_need_codes")
    now = time.monotonic()
    if cached is not None and now - cached[0] < NEED_CODES_TTL_SECONDS:
        return cached[1]
    codes = frozenset(db.session.scalars(select(Need.code)))
    current_app.extensions["search_need_codes"] = (now, codes)
    return codes


def check_need_codes(query: SearchQuery) -> None:
    """Raise ``QueryError`` (field ``taxonomy_term_id``) for a need code not in the taxonomy."""
    if query.need_codes and not set(query.need_codes) <= known_need_codes():
        raise QueryError.single("taxonomy_term_id", "Select needs from the list")


def find_services(query: SearchQuery, *, backend: str | None = None) -> SearchResult:
    """Search the directory.

    ``backend`` forces "postgresql" or "elasticsearch" (benchmarks, tests); by default
    Elasticsearch is used when ``ELASTICSEARCH_URL`` is set.

    Raises ``QueryError`` for a postcode that does not exist or an unknown need code.
    A page past the end is not an error here: the result is empty and ``past_the_end``
    tells the caller.
    """
    check_need_codes(query)
    place = locate(query)
    chosen = backend or (
        Backend.ELASTICSEARCH if current_app.config.get("ELASTICSEARCH_URL") else Backend.POSTGRESQL
    )
    if chosen == Backend.ELASTICSEARCH:
        return _from_elasticsearch(query, place)
    return postgres.search(query, place)


def _from_elasticsearch(query: SearchQuery, place: Place | None) -> SearchResult:
    from search.elastic import backend as elastic_backend

    try:
        return elastic_backend.search(query, place)
    except elastic_backend.SearchUnavailable as error:
        log.warning("Elasticsearch did not answer (%s); searching PostgreSQL instead", error)
        return replace(postgres.search(query, place), fallback_reason=str(error))
