"""What planning costs the inbox: its statements replayed ending in ROLLBACK, as every
request ends, and ending in COMMIT.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_inbox \\
        python scripts/bench/prepared.py [--samples 300]

psycopg prepares a statement on the server after it has run it five times on one
connection, and drops every prepared statement on ROLLBACK (``_prepared.clear()`` in
psycopg's connection). A request's transaction always ends in a rollback (SQLAlchemy's
session close), so every statement is parsed and planned on every request; replayed
ending in COMMIT, the same statements are planned once per connection. The difference is
what keeping prepared statements across read-only requests would save. Measure on the
database the inbox benchmark built.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from inbox import PAGES, busiest_provider, percentile, signed_in_client  # noqa: E402
from statements import capture_statements, replay  # noqa: E402  (scripts/bench)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("PATHWAYS_ENV", "development")
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app()
    with app.app_context():
        user_id, _organisation_id, _referrals = busiest_provider(app)
        db.session.remove()
    client = signed_in_client(app, user_id)
    print(f"{'inbox page':<24} {'ending':<9} {'p50 ms':>7} {'p95 ms':>7}")
    for label, path in PAGES:
        assert client.get(path).status_code == 200
        statements = capture_statements(app, client, path)
        with app.app_context():
            rolled_back, committed = db.engine.raw_connection(), db.engine.raw_connection()
        times: dict[bool, list[float]] = {False: [], True: []}
        order = random.Random(path)
        for sample in range(args.warmup + args.samples):
            pair = [(rolled_back, False), (committed, True)]
            order.shuffle(pair)
            for raw, commit in pair:
                started = perf_counter()
                replay(raw, statements, commit=commit)
                if sample >= args.warmup:
                    times[commit].append((perf_counter() - started) * 1000)
        rolled_back.close()
        committed.close()
        for commit, name in ((False, "ROLLBACK"), (True, "COMMIT")):
            values = times[commit]
            print(
                f"{label:<24} {name:<9} {statistics.median(values):7.2f} "
                f"{percentile(values, 0.95):7.2f}"
            )


if __name__ == "__main__":
    main()
