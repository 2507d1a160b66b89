"""Search benchmark on the scale data set (``flask seed-scale``: 10,000 services).

Times, in one run:

* the search endpoint (``GET /api/v1/services``, in process through Flask's test client:
  parsing, postcode lookup, the search, serialisation) for 50 realistic queries: a real
  postcode where services are, a need and two more facets, within 10 miles;
* the bare SQL each of those requests runs: every statement it sent (the need-code check
  and postcode lookup when not cached, and the search statement with hits, total and facet
  counts in one round trip), captured with its parameters and replayed directly on a
  psycopg connection in one transaction, plus the pool's pre-ping (as scripts/bench/inbox.py
  measures its page);
* building and serialising every Elasticsearch document, as a full reindex does.

Targets (issue 5): endpoint p95 < 50 ms and at most 1.3 x the bare query's p95; documents
for 10k services in < 20 s.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pathways_dev \\
        python scripts/bench/search.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from statements import capture_statements, replay  # noqa: E402  (scripts/bench)

TARGET_P95_MS = 50.0
TARGET_RATIO = 1.3
TARGET_REINDEX_S = 20.0
FACETS = [
    ("delivery_mode", "in_person"),
    ("gender", "female"),
    ("gender", "male"),
    ("has_capacity", "true"),
    ("cjs_stage", "licence"),
    ("risk_level", "medium"),
    ("language", "en"),
    ("max_waiting_days", "28"),
    ("accessibility", "step_free"),
]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def realistic_queries(count: int, seed: int) -> list[dict[str, str]]:
    """Postcodes where services are delivered, a need category, two other facets."""
    from sqlalchemy import text

    from marketplace.extensions import db

    rng = random.Random(seed)
    postcodes = list(
        db.session.scalars(
            text(
                "SELECT DISTINCT l.postcode FROM location l "
                "JOIN postcode p ON p.postcode = l.postcode ORDER BY 1"
            )
        )
    )
    categories = list(db.session.scalars(text("SELECT code FROM need WHERE parent_code IS NULL")))
    if not postcodes:
        sys.exit("No location has a postcode in the postcode table: load geodata first.")
    queries = []
    for _ in range(count):
        facets = dict(rng.sample(FACETS, 2))
        queries.append(
            {
                "postcode": rng.choice(postcodes),
                "proximity": "16093",
                "taxonomy_term_id": rng.choice(categories),
                **facets,
            }
        )
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=8, help="passes over the queries")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    from sqlalchemy import func, select
    from sqlalchemy.dialects import postgresql

    from marketplace import create_app
    from marketplace.directory.models import Service
    from marketplace.extensions import db
    from search.elastic.indexing import documents
    from search.parser import parse_search_args
    from search.places import locate
    from search.postgres import build_statement

    app = create_app("development")
    app.config["RATELIMIT_ENABLED"] = False
    from marketplace.extensions import limiter

    limiter.enabled = False
    with app.app_context():
        services = db.session.scalar(select(func.count()).select_from(Service))
        print(f"Services in the database: {services:,}")
        if services < 10_000:
            print("Fewer than 10,000 services: run `flask seed-scale` for the scale data set.")
        queries = realistic_queries(args.queries, args.seed)
        db.session.rollback()

        client = app.test_client()
        urls = ["/api/v1/services?" + urlencode(q) for q in queries]
        for url in urls:  # warm up caches, prepared statements and connections
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_json())
        captured = [capture_statements(app, client, url) for url in urls]
        statements_per_request = [len(statements) for statements in captured]
        search_only = []  # the search statement alone, for the breakdown
        for query_string in queries:
            query = parse_search_args(query_string)
            statement, values = build_statement(query, locate(query))
            sql = statement.compile(dialect=postgresql.psycopg.dialect())
            search_only.append([(str(sql), sql.construct_params(values))])
        db.session.rollback()

        raw = db.engine.raw_connection()
        for statements in captured:
            replay(raw, statements)

        endpoint_ms: list[float] = []
        bare_ms: list[float] = []
        search_ms: list[float] = []
        totals: list[int] = []
        load_before = os.getloadavg()
        for _ in range(args.rounds):
            for url, statements, search in zip(urls, captured, search_only, strict=True):
                started = time.perf_counter()
                response = client.get(url)
                endpoint_ms.append((time.perf_counter() - started) * 1000)
                totals.append(response.get_json()["total_items"])
                started = time.perf_counter()
                replay(raw, statements)
                bare_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                replay(raw, search)
                search_ms.append((time.perf_counter() - started) * 1000)
        raw.close()
        load_after = os.getloadavg()

        started = time.perf_counter()
        size = 0
        built = 0
        for document in documents():
            size += len(json.dumps(document, separators=(",", ":")))
            built += 1
        reindex_s = time.perf_counter() - started
        db.session.rollback()

    e50, e95 = percentile(endpoint_ms, 50), percentile(endpoint_ms, 95)
    b50, b95 = percentile(bare_ms, 50), percentile(bare_ms, 95)
    ratio = e95 / b95
    print(
        f"Queries: {len(queries)} x {args.rounds} rounds; results per query: "
        f"median {statistics.median(totals):.0f}, max {max(totals)}"
    )
    print(f"SQL statements per request (with the pre-ping): {sorted(set(statements_per_request))}")
    print(
        f"Endpoint  GET /api/v1/services  p50 {e50:6.1f} ms   p95 {e95:6.1f} ms "
        f"(target < {TARGET_P95_MS:.0f} ms): {'met' if e95 < TARGET_P95_MS else 'MISSED'}"
    )
    print(f"Bare SQL  all its statements    p50 {b50:6.1f} ms   p95 {b95:6.1f} ms")
    print(
        f"  of which the search statement  p50 {percentile(search_ms, 50):6.1f} ms   "
        f"p95 {percentile(search_ms, 95):6.1f} ms"
    )
    print(
        f"Endpoint p95 / bare p95 = {ratio:.2f} (target <= {TARGET_RATIO}): "
        f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}; p50 / p50 = {e50 / b50:.2f}"
    )
    # Timings on a shared machine are only comparable at a similar load.
    print(
        "Load average (1, 5, 15 min) before the timed rounds "
        f"{', '.join(f'{x:.2f}' for x in load_before)}; after "
        f"{', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs"
    )
    print(
        f"Reindex documents: {built:,} built and serialised ({size / 1e6:.1f} MB) in "
        f"{reindex_s:.1f} s (target < {TARGET_REINDEX_S:.0f} s): "
        f"{'met' if reindex_s < TARGET_REINDEX_S else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
