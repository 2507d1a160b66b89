"""The services index: settings and mapping.

Text fields use the English analyzer (stemming, stop words), as PostgreSQL's ``english``
configuration does. Facet fields are keywords holding the *effective* values of
``search.facets``. Every delivery location's position is one value of the ``points``
``geo_point`` field: a ``geo_distance`` filter matches if any location is in range and a
``_geo_distance`` sort with ``mode: min`` orders by the nearest one, which is exactly
"distance to the nearest location" without nested documents. Location details for display
are kept in ``_source`` only (``enabled: false``). ``need_codes`` holds each need listed
and the categories above it (for the need facet); ``listed_need_codes`` only the needs the
service lists itself (for matching's need weights, where the difference matters).

Changing this mapping needs a full reindex (``flask search reindex``): the mapping is
strict, so an index of the old mapping refuses the new documents.
"""

from __future__ import annotations

from typing import Any

KEYWORD = {"type": "keyword"}
ENGLISH_TEXT = {"type": "text", "analyzer": "english"}

SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {"normalizer": {"sortable": {"type": "custom", "filter": ["lowercase"]}}},
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "integer"},
        "name": {
            **ENGLISH_TEXT,
            "fields": {"sort": {"type": "keyword", "normalizer": "sortable"}},
        },
        "summary": ENGLISH_TEXT,
        "description": ENGLISH_TEXT,
        "status": KEYWORD,
        "organisation_id": {"type": "integer"},
        "organisation_name": ENGLISH_TEXT,
        "organisation_verified": {"type": "boolean"},
        "need_codes": KEYWORD,
        "listed_need_codes": KEYWORD,
        "need_names": ENGLISH_TEXT,
        "needs": {"type": "object", "enabled": False},
        "delivery_modes": KEYWORD,
        "capacity": KEYWORD,
        "genders": KEYWORD,
        "cjs_stages": KEYWORD,
        "risk_levels": KEYWORD,
        "languages": KEYWORD,
        "accessibility": KEYWORD,
        "min_age": {"type": "integer"},
        "max_age": {"type": "integer"},
        "waiting_days": {"type": "integer"},
        "places_left": {"type": "integer"},
        "rating": {"type": "float"},
        "rating_score": {"type": "float"},
        "rating_count": {"type": "integer"},
        "points": {"type": "geo_point"},
        "locations": {"type": "object", "enabled": False},
        "area_ids": {"type": "integer"},
        "updated_at": {"type": "date"},
    },
}
