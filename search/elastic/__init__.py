"""The Elasticsearch backend: index mapping, documents, query building, indexing and the
full reindex with an alias swap. Query building and response parsing are pure
(``search.elastic.query``); only ``backend`` and ``indexing`` talk to a server."""
