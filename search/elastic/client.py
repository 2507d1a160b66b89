"""The Elasticsearch client for the current application, and the one error callers see."""

from __future__ import annotations

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch
from flask import current_app

# Both are "Elasticsearch did not answer properly": HTTP errors and connection failures or
# timeouts respectively. Callers catch SearchUnavailable and fall back or retry later.
CLIENT_ERRORS = (ApiError, TransportError)


class SearchUnavailable(RuntimeError):
    """Elasticsearch errored or timed out."""


def client() -> Elasticsearch:
    """One client per application (it pools connections), built on first use from
    ``ELASTICSEARCH_URL``; tests may put their own in ``app.extensions["elasticsearch"]``."""
    extensions = current_app.extensions
    if "elasticsearch" not in extensions:
        extensions["elasticsearch"] = Elasticsearch(
            current_app.config["ELASTICSEARCH_URL"],
            request_timeout=current_app.config["ELASTICSEARCH_TIMEOUT"],
            max_retries=1,
            retry_on_timeout=False,
        )
    return extensions["elasticsearch"]


def alias() -> str:
    """The alias searches and incremental updates use; it points at one versioned index."""
    return str(current_app.config["ELASTICSEARCH_INDEX"])
