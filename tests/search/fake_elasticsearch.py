"""A small in-memory Elasticsearch, plugged in *below* the official client as its node
class, so the real client code (serialisation, bulk helpers, errors) runs unchanged.

It understands exactly the request shapes Pathways sends (see search.elastic.query and
search.elastic.indexing) and answers in Elasticsearch's response format, so the same
behaviour tests can run against PostgreSQL, this fake and (when ELASTICSEARCH_URL is set)
a live server. Text matching here is deliberately crude (word prefixes, no scoring model):
text relevance is covered by the recorded contracts and the live tests, not by this fake.
It records every request and can be told to fail, to test the fallback.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from elastic_transport import ApiResponseMeta, ConnectionTimeout, HttpHeaders, NodeConfig
from elastic_transport._node import BaseNode, NodeApiResponse

EARTH_RADIUS_M = 6371008.7714


@dataclass
class Request:
    method: str
    path: str
    body: Any


@dataclass
class FakeElasticsearch:
    indices: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    fail: str | None = None  # "timeout" or "error": the next requests fail that way
    # Recorded responses by endpoint ("_search", "_bulk"), answered instead of computing one.
    canned: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def node_class(self) -> type[BaseNode]:
        server = self

        class FakeNode(BaseNode):
            def perform_request(  # type: ignore[override]
                self,
                method: str,
                target: str,
                body: bytes | None = None,
                headers: HttpHeaders | None = None,
                request_timeout: Any = None,
            ) -> NodeApiResponse:
                status, answer = server.handle(method, target, body)
                headers = HttpHeaders(
                    {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
                )
                meta = ApiResponseMeta(
                    status=status,
                    http_version="1.1",
                    headers=headers,
                    duration=0.0,
                    node=self.config,
                )
                return NodeApiResponse(meta, json.dumps(answer).encode())

        return FakeNode

    # Requests

    def handle(self, method: str, target: str, raw: bytes | None) -> tuple[int, Any]:
        path = unquote(urlsplit(target).path)
        body: Any = None
        if raw:
            text = raw.decode()
            body = (
                [json.loads(line) for line in text.splitlines() if line.strip()]
                if path.endswith("_bulk")
                else json.loads(text)
            )
        self.requests.append(Request(method, path, body))
        if self.fail == "timeout":
            raise ConnectionTimeout("Connection timed out")
        if self.fail == "error":
            return 503, _error("cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE]")
        parts = [p for p in path.split("/") if p]
        if parts and parts[-1] in self.canned:
            return self.canned[parts[-1]]
        if parts == ["_bulk"]:
            return 200, self._bulk(body)
        if parts == ["_aliases"]:
            return 200, self._update_aliases(body["actions"])
        if len(parts) == 2 and parts[0] == "_alias":
            return self._get_alias(parts[1], method)
        if len(parts) == 1 and method == "PUT":
            self.indices[parts[0]] = {"mappings": body["mappings"], "docs": {}}
            return 200, {"acknowledged": True, "index": parts[0]}
        if len(parts) == 1 and method == "DELETE":
            self.indices.pop(parts[0], None)
            for members in self.aliases.values():
                members.discard(parts[0])
            return 200, {"acknowledged": True}
        if len(parts) == 2 and parts[1] == "_refresh":
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if len(parts) == 2 and parts[1] == "_search":
            return 200, self._search(self._resolve(parts[0]), body)
        return 400, _error("fake_unsupported", f"{method} {path}")

    def _resolve(self, name: str) -> list[str]:
        return sorted(self.aliases.get(name, {name} if name in self.indices else set()))

    def _get_alias(self, name: str, method: str) -> tuple[int, Any]:
        members = self.aliases.get(name)
        if not members:
            return 404, _error("aliases_not_found_exception", f"alias [{name}] missing")
        return 200, {index: {"aliases": {name: {}}} for index in sorted(members)}

    def _update_aliases(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        for action in actions:
            ((kind, spec),) = action.items()
            members = self.aliases.setdefault(spec["alias"], set())
            (members.add if kind == "add" else members.discard)(spec["index"])
        return {"acknowledged": True}

    def _bulk(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        items = []
        index = 0
        while index < len(lines):
            ((operation, meta),) = lines[index].items()
            target = self._resolve(meta["_index"])
            documents = self.indices[target[0]]["docs"] if len(target) == 1 else None
            doc_id = str(meta["_id"])
            if operation == "index":
                documents[doc_id] = lines[index + 1]  # type: ignore[index]
                items.append({"index": {"_id": doc_id, "status": 201, "result": "created"}})
                index += 2
            else:
                found = documents.pop(doc_id, None) if documents is not None else None
                status = 200 if found is not None else 404
                items.append({"delete": {"_id": doc_id, "status": status}})
                index += 1
        return {"took": 1, "errors": False, "items": items}

    # Search

    def _search(self, indices: list[str], body: dict[str, Any]) -> dict[str, Any]:
        documents = [doc for name in indices for doc in self.indices[name]["docs"].values()]
        matching = [doc for doc in documents if _matches(doc, body["query"])]
        scored = [(doc, _score(doc, body["query"])) for doc in matching]
        aggregations = {
            name: {
                "doc_count": len(members := [d for d, _ in scored if _matches(d, spec["filter"])]),
                "values": {"buckets": _terms(members, spec["aggs"]["values"]["terms"])},
            }
            for name, spec in body.get("aggs", {}).items()
        }
        if "post_filter" in body:
            scored = [(d, s) for d, s in scored if _matches(d, body["post_filter"])]
        scored.sort(key=lambda pair: _sort_key(pair[0], pair[1], body.get("sort", ["_score"])))
        start, size = body.get("from", 0), body.get("size", 10)
        hits = [
            {
                "_index": indices[0],
                "_id": str(doc["id"]),
                "_score": score,
                "_source": {k: doc.get(k) for k in body.get("_source", doc.keys())},
            }
            for doc, score in scored[start : start + size]
        ]
        return {
            "took": 1,
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": len(scored), "relation": "eq"}, "hits": hits},
            "aggregations": aggregations,
        }


def _error(kind: str, reason: str) -> dict[str, Any]:
    return {"error": {"type": kind, "reason": reason, "root_cause": []}, "status": 400}


def _values(doc: dict[str, Any], name: str) -> list[Any]:
    value = doc.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _arc_m(a: dict[str, float], b: dict[str, float]) -> float:
    phi1, phi2 = math.radians(a["lat"]), math.radians(b["lat"])
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b["lon"] - a["lon"]) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _text_fields(doc: dict[str, Any], fields: list[str]) -> list[str]:
    words: list[str] = []
    for name in fields:
        for value in _values(doc, name.split("^")[0]):
            words += _words(str(value))
    return words


def _matches(doc: dict[str, Any], clause: dict[str, Any]) -> bool:
    ((kind, spec),) = clause.items()
    if kind == "match_all":
        return True
    if kind == "bool":
        required = spec.get("filter", []) + spec.get("must", [])
        if not all(_matches(doc, c) for c in required):
            return False
        should = spec.get("should", [])
        # As Elasticsearch: should clauses are required only in a bool of nothing else.
        minimum = spec.get("minimum_should_match", 0 if required else 1)
        return not should or sum(_matches(doc, c) for c in should) >= minimum
    if kind == "constant_score":
        return _matches(doc, spec["filter"])
    if kind == "dis_max":
        return any(_matches(doc, c) for c in spec["queries"])
    if kind == "term":
        ((name, value),) = spec.items()
        return value in _values(doc, name)
    if kind == "terms":
        ((name, wanted),) = spec.items()
        return bool(set(_values(doc, name)) & set(wanted))
    if kind == "range":
        ((name, bounds),) = spec.items()
        values = _values(doc, name)
        return any(
            ("lte" not in bounds or v <= bounds["lte"])
            and ("gte" not in bounds or v >= bounds["gte"])
            for v in values
        )
    if kind == "geo_distance":
        limit = float(spec["distance"].removesuffix("m"))
        field_name = next(k for k in spec if k not in {"distance", "distance_type"})
        return any(_arc_m(spec[field_name], p) <= limit for p in _values(doc, field_name))
    if kind == "simple_query_string":
        words = _text_fields(doc, spec["fields"])
        return all(any(w.startswith(q[:5]) for w in words) for q in _words(spec["query"]))
    raise ValueError(f"The fake does not understand {kind}")


def _score(doc: dict[str, Any], clause: dict[str, Any]) -> float:
    """The score of a matching ``doc``: Elasticsearch's rules for bool (must and should
    add up, filters score nothing), constant_score and dis_max; text scores crudely."""
    ((kind, spec),) = clause.items()
    if kind == "bool":
        scoring = spec.get("must", []) + spec.get("should", [])
        return sum(_score(doc, c) for c in scoring if _matches(doc, c))
    if kind == "constant_score":
        return float(spec.get("boost", 1.0))
    if kind == "dis_max":
        scores = [_score(doc, c) for c in spec["queries"] if _matches(doc, c)]
        best = max(scores, default=0.0)
        return best + spec.get("tie_breaker", 0.0) * (sum(scores) - best)
    if kind == "simple_query_string":
        words = _text_fields(doc, spec["fields"])
        return sum(1.0 for q in _words(spec["query"]) for w in words if w.startswith(q[:5]))
    return 1.0


def _terms(docs: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for doc in docs:
        for value in set(_values(doc, spec["field"])):
            counts[value] = counts.get(value, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return [{"key": key, "doc_count": count} for key, count in ordered[: spec.get("size", 10)]]


def _sort_key(doc: dict[str, Any], score: float, sort: list[Any]) -> tuple:
    key: list[Any] = []
    for entry in sort:
        if entry == "_score":
            key.append(-score)
            continue
        ((name, spec),) = entry.items()
        if name == "_geo_distance":
            field_name = next(
                k for k in spec if k not in {"order", "unit", "mode", "distance_type"}
            )
            distances = [_arc_m(spec[field_name], p) for p in _values(doc, field_name)]
            key.append(min(distances) if distances else math.inf)
            continue
        values = _values(doc, "name" if name == "name.sort" else name)
        value = values[0] if values else None
        if name == "name.sort" and value is not None:
            value = value.lower()
        descending = spec.get("order") == "desc"
        if value is None:
            key.append((1, 0))
        elif isinstance(value, str):
            key.append((0, value))  # only ascending string sorts are used
        else:
            key.append((0, -value if descending else value))
    return tuple(key)


def fake_client(server: FakeElasticsearch, url: str = "http://search.test:9200") -> Any:
    """An official client whose only node is ``server``."""
    from elasticsearch import Elasticsearch

    return Elasticsearch(url, node_class=server.node_class(), max_retries=0)


__all__ = ["FakeElasticsearch", "NodeConfig", "Request", "fake_client"]
