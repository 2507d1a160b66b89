"""Process-wide settings of psycopg, the PostgreSQL driver."""

from __future__ import annotations

import orjson
from psycopg import _queries
from psycopg.types.json import set_json_loads

# psycopg parses each statement's text (to turn %(name)s into $1) and keeps the result
# only for statements up to 4 KB with up to 50 parameters. The search statement is about
# 7.5 KB (one statement returns hits, total and facet counts), so it was parsed again on
# every search: 0.45 ms of CPU per request, measured. Search has a few dozen statement
# shapes, well within the parse cache's 128 entries.
QUERY_CACHE_MAX_LENGTH = 16_384
QUERY_CACHE_MAX_PARAMETERS = 128


def tune() -> None:
    """Decode json/jsonb columns with orjson (search answers arrive as JSON documents),
    and let psycopg keep the parsing of statements as long as ours."""
    set_json_loads(orjson.loads)
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(
        _queries.MAX_CACHED_STATEMENT_LENGTH, QUERY_CACHE_MAX_LENGTH
    )
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(
        _queries.MAX_CACHED_STATEMENT_PARAMS, QUERY_CACHE_MAX_PARAMETERS
    )
