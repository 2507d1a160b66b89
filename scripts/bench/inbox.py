"""Benchmark the referral inbox at a million referrals.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pathways_dev_inbox \
        python scripts/bench/inbox.py [--referrals 1000000] [--samples 200] [--skip-generate]

1. Generates ``--referrals`` referrals with appointments and feedback, set-based
   (``INSERT ... SELECT generate_series``) in batches with a progress bar, on top of the
   organisations and services already in the database (``flask seed-scale``); if there
   are too few, it first generates organisations, services, agencies and referrers.
2. Finds the busiest provider and, for each inbox page measured, compares in one run:
   - the page: a GET through the whole Flask stack (test client, WSGI, session cookie,
     Flask-Login loading the user, the view, the template), as a provider signed in with
     a session cookie; each request has its own application context, database session
     and connection checkout, as in production;
   - the bare SQL: every statement that request sent (captured with a cursor listener,
     parameters and all), plus the pool's pre-ping, replayed on a raw psycopg connection
     in one transaction, as the request runs them.
   Samples are interleaved (page, SQL, page, SQL... in a random order per pair) after a
   warm-up, so both see the same load on a shared machine. Reports p50 and p95 of both
   and the ratio of the p95s. Targets: page p95 < 30 ms and <= 1.5x the bare SQL's p95.
3. Counts the Python function calls one page request makes (cProfile): unlike the
   timings, this does not depend on what else the machine is doing, so it shows whether
   a change made the framework's share of the page cheaper.
4. Measures the same way a signed-in page that runs no query of its own (the floor):
   session cookie, Flask-Login loading the user, the permission check, the GOV.UK layout
   with an empty main block. What it costs above its own SQL is what any page of this
   stack costs before it does anything; the report sets it beside the budget that
   "<= 1.5x the bare SQL" leaves the inbox pages.

Run it against a development database only: generating adds a lot of data.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from statements import capture_statements, replay  # noqa: E402  (scripts/bench)

BATCH = 100_000
TARGET_P95_MS = 30.0
TARGET_RATIO = 1.5


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def ensure_directory(connection, organisations: int, services: int) -> None:  # noqa: ANN001
    """Minimal organisations, services, agencies and referrers when seed-scale has not run."""
    have = connection.execute(text("SELECT count(*) FROM service")).scalar_one()
    if have >= services // 2:
        return
    print(f"Only {have} services: generating {organisations} organisations, {services} services")
    connection.execute(
        text(
            """
            INSERT INTO organisation (name, charity_number, description, status, email)
            SELECT 'Bench charity ' || g, 'B' || g, 'Generated for the inbox benchmark',
                   'verified', 'referrals' || g || '@bench.example'
            FROM generate_series(1, :n) g
            """
        ),
        {"n": organisations},
    )
    connection.execute(
        text(
            """
            INSERT INTO service (organisation_id, name, status, delivery_modes, capacity)
            SELECT o.id, 'Bench service ' || g, 'published', '{in_person}', 50
            FROM generate_series(1, :n) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM organisation) o
              ON o.rn = 1 + (g % :orgs)
            """
        ),
        {"n": services, "orgs": organisations},
    )


def ensure_referrers(connection, agencies: int, referrers: int) -> None:  # noqa: ANN001
    have = connection.execute(
        text("SELECT count(*) FROM user_account WHERE role = 'referrer'")
    ).scalar_one()
    if have >= referrers // 2:
        return
    connection.execute(
        text(
            """
            INSERT INTO agency (name, kind)
            SELECT 'Bench probation unit ' || g, 'probation_region'
            FROM generate_series(1, :n) g
            ON CONFLICT (name) DO NOTHING
            """
        ),
        {"n": agencies},
    )
    connection.execute(
        text(
            """
            INSERT INTO user_account (email, name, password_hash, role, agency_id)
            SELECT 'bench.referrer' || g || '@probation.example', 'Referrer ' || g, 'x',
                   'referrer', a.id
            FROM generate_series(1, :n) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM agency) a
              ON a.rn = 1 + (g % (SELECT count(*) FROM agency))
            """
        ),
        {"n": referrers},
    )


def generate(connection, total: int) -> None:  # noqa: ANN001
    """Referrals (one person each), appointments and feedback, in batches."""
    connection.execute(
        text(
            """
            CREATE TEMP TABLE bench_service AS
            SELECT row_number() OVER (ORDER BY id) AS rn, id, organisation_id FROM service;
            CREATE TEMP TABLE bench_referrer AS
            SELECT row_number() OVER (ORDER BY id) AS rn, id, agency_id
            FROM user_account WHERE role = 'referrer';
            """
        )
    )
    services = connection.execute(text("SELECT count(*) FROM bench_service")).scalar_one()
    referrers = connection.execute(text("SELECT count(*) FROM bench_referrer")).scalar_one()
    start = connection.execute(text("SELECT coalesce(max(id), 0) FROM referral")).scalar_one()
    with tqdm(total=total, unit="referral", desc="referrals") as progress:
        for offset in range(0, total, BATCH):
            size = min(BATCH, total - offset)
            _referral_batch(connection, start + offset, size, services, referrers)
            connection.commit()
            progress.update(size)
    connection.execute(text("SELECT setval('person_id_seq', (SELECT max(id) FROM person))"))
    for _label, statement in tqdm(
        [("appointments", APPOINTMENTS), ("feedback", FEEDBACK), ("counters", COUNTERS)],
        desc="appointments, feedback, counters",
    ):
        connection.execute(text(statement), {"first": start})
        connection.commit()


def _referral_batch(connection, first: int, size: int, services: int, referrers: int) -> None:  # noqa: ANN001
    # Busy services are few: the service is drawn with a squared uniform, so the busiest
    # providers receive tens of thousands of referrals, as in a real region.
    statements = """
            CREATE TEMP TABLE IF NOT EXISTS bench_batch (
                g bigint, service_rn bigint, referrer_rn bigint, sent_at timestamptz,
                state text);
            TRUNCATE bench_batch;
            INSERT INTO bench_batch
            SELECT g,
                   1 + floor(power(random(), 2) * :services)::bigint,
                   1 + (g % :referrers),
                   now() - random() * interval '730 days',
                   (ARRAY['sent','accepted','in_progress','completed','completed','completed',
                          'completed','declined','withdrawn','cancelled'])[1 + floor(random() * 10)::int]
            FROM generate_series(:first + 1, :first + :size) g;
            -- Referrals still waiting or in hand are recent.
            UPDATE bench_batch SET sent_at = now() - random() * interval '20 days'
            WHERE state IN ('sent', 'accepted');
            -- One person per referral, with ids we can compute (no lookup by reference).
            INSERT INTO person (id, agency_id, reference, age, gender, language)
            SELECT :person_base + (b.g - :first), r.agency_id, 'BENCH' || b.g, 18 + (b.g % 50),
                   'male', 'en'
            FROM bench_batch b JOIN bench_referrer r ON r.rn = b.referrer_rn;
            INSERT INTO referral (reference, person_id, service_id, organisation_id, referrer_id,
                agency_id, state, need_codes, reason, consent_recorded_at, idempotency_key,
                holds_place, sent_at, responded_at, started_at, closed_at,
                outcome, created_at, updated_at)
            SELECT 'PB-' || lpad(to_hex(b.g), 10, '0'), :person_base + (b.g - :first), s.id, s.organisation_id, r.id,
                   r.agency_id, b.state, '{accommodation}', 'Generated referral', b.sent_at,
                   md5(b.g::text), false, b.sent_at,
                   CASE WHEN b.state NOT IN ('sent', 'withdrawn') THEN b.sent_at + interval '1 day' END,
                   CASE WHEN b.state IN ('in_progress', 'completed') THEN b.sent_at + interval '8 days' END,
                   CASE WHEN b.state IN ('completed', 'declined', 'withdrawn', 'cancelled')
                        THEN b.sent_at + interval '40 days' END,
                   CASE WHEN b.state = 'completed'
                        THEN (ARRAY['met', 'partly_met', 'not_met'])[1 + (b.g % 3)::int] END,
                   b.sent_at, b.sent_at
            FROM bench_batch b
            JOIN bench_service s ON s.rn = b.service_rn
            JOIN bench_referrer r ON r.rn = b.referrer_rn;
            """
    values = {
        "first": first,
        "size": size,
        "services": services,
        "referrers": referrers,
        "person_base": connection.execute(
            text("SELECT coalesce(max(id), 0) FROM person")
        ).scalar_one(),
    }
    # psycopg prepares statements with parameters one at a time.
    for statement in statements.split(";\n"):
        if statement.strip():
            connection.execute(text(statement), values)


APPOINTMENTS = """
INSERT INTO appointment (referral_id, starts_at, duration_minutes, mode, status,
    absence_reason, absence_explained, created_at, updated_at)
SELECT r.id, r.sent_at + (n * interval '7 days'), 60, 'in_person',
       CASE WHEN r.sent_at + (n * interval '7 days') > now() THEN 'scheduled'
            WHEN (r.id + n) % 10 = 0 THEN 'did_not_attend'
            WHEN (r.id + n) % 10 = 1 THEN 'late'
            ELSE 'attended' END,
       CASE WHEN r.sent_at + (n * interval '7 days') <= now() AND (r.id + n) % 10 = 0
            THEN 'unknown' END,
       false, r.sent_at, r.sent_at
FROM referral r, generate_series(1, 1 + (r.id % 3)::int) n
WHERE r.id > :first AND r.state IN ('accepted', 'in_progress', 'completed')
"""

FEEDBACK = """
INSERT INTO feedback (referral_id, service_id, author_kind, rating, comments, created_at)
SELECT r.id, r.service_id, k.kind, 1 + ((r.id * 7 + length(k.kind)) % 5), '', r.closed_at
FROM referral r
CROSS JOIN (VALUES ('referrer'), ('person'), ('provider')) AS k(kind)
WHERE r.id > :first AND r.state = 'completed'
  AND (r.id + length(k.kind)) % 3 <> 0
"""

COUNTERS = """
WITH r AS (
    SELECT service_id,
           count(*) FILTER (WHERE state NOT IN ('draft', 'sent', 'withdrawn')) AS received,
           count(*) FILTER (WHERE state IN ('accepted', 'in_progress', 'completed', 'cancelled'))
               AS accepted
    FROM referral GROUP BY service_id
), a AS (
    SELECT r.service_id,
           count(*) FILTER (WHERE a.status IN ('attended', 'late', 'did_not_attend')) AS booked,
           count(*) FILTER (WHERE a.status IN ('attended', 'late')) AS attended
    FROM appointment a JOIN referral r ON r.id = a.referral_id GROUP BY r.service_id
), f AS (
    SELECT service_id, sum(rating) AS total, count(*) AS n FROM feedback
    WHERE author_kind IN ('referrer', 'person') GROUP BY service_id
)
UPDATE service s SET
    referrals_received = coalesce(r.received, 0), referrals_accepted = coalesce(r.accepted, 0),
    appointments_booked = coalesce(a.booked, 0), appointments_attended = coalesce(a.attended, 0),
    rating_sum = coalesce(f.total, 0), rating_count = coalesce(f.n, 0)
FROM service s2
LEFT JOIN r ON r.service_id = s2.id
LEFT JOIN a ON a.service_id = s2.id
LEFT JOIN f ON f.service_id = s2.id
WHERE s2.id = s.id
"""


def busiest_provider(app):  # noqa: ANN001, ANN201
    """The organisation with the most referrals, and a provider user who works there."""
    from marketplace.accounts.models import Role, User
    from marketplace.extensions import db
    from marketplace.organisations.models import Membership, MembershipRole

    organisation_id, referrals = db.session.execute(
        text(
            "SELECT organisation_id, count(*) FROM referral GROUP BY organisation_id "
            "ORDER BY count(*) DESC LIMIT 1"
        )
    ).one()
    email = f"bench.provider.{organisation_id}@bench.example"
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name="Bench Provider", password_hash="x", role=Role.PROVIDER)
        db.session.add(user)
        db.session.flush()
        db.session.add(
            Membership(user_id=user.id, organisation_id=organisation_id, role=MembershipRole.MEMBER)
        )
        db.session.commit()
    return user.id, organisation_id, referrals


PAGES = [
    ("New tab (default)", "/referrals"),
    ("All tab, newest first", "/referrals?tab=all&sort=newest"),
    ("Overdue filter", "/referrals?tab=new&age=overdue"),
]


FLOOR = ("Signed-in floor", "/bench/signed-in-floor")


def add_floor_page(app) -> None:  # noqa: ANN001
    """Register the floor page on the benchmark's app (never on the real one)."""
    from flask import render_template

    from marketplace.authz import requires

    layout_only = app.jinja_env.from_string(
        '{% extends "base.html" %}{% block main_content %}'
        '<h1 class="govuk-heading-l">Floor</h1>{% endblock %}'
    )

    @requires("referral:view")
    def signed_in_floor() -> str:
        return render_template(layout_only)

    app.add_url_rule(FLOOR[1], "bench_signed_in_floor", signed_in_floor)


def signed_in_client(app, user_id: int):  # noqa: ANN001, ANN201
    """A test client holding the session cookie Flask-Login sets at sign-in."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def python_calls(client, path: str, requests: int = 20) -> float:  # noqa: ANN001
    """Python function calls (cProfile) per request for ``path``, once warm."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(path)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return sum(calls for _, calls, _, _, _ in stats.values()) / requests


def measure(app, user_id: int, path: str, samples: int, warmup: int) -> dict[str, float]:  # noqa: ANN001
    """Time ``path`` through Flask and the bare SQL it runs, interleaved."""
    from marketplace.extensions import db

    client = signed_in_client(app, user_id)
    # Captured from a warm request: the first one also fills the per-process caches (the
    # filter lists), which later requests, and so the bare SQL, do without.
    assert client.get(path).status_code == 200
    statements = capture_statements(app, client, path)
    with app.app_context():
        raw = db.engine.raw_connection()

    def page() -> float:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed

    def bare_sql() -> float:
        started = time.perf_counter()
        replay(raw, statements)
        return (time.perf_counter() - started) * 1000

    page_ms: list[float] = []
    sql_ms: list[float] = []
    order = random.Random(path)
    try:
        for sample in range(warmup + samples):
            pair = [(page, page_ms), (bare_sql, sql_ms)]
            order.shuffle(pair)
            for run, into in pair:
                elapsed = run()
                if sample >= warmup:
                    into.append(elapsed)
    finally:
        raw.close()
    return {
        "calls": python_calls(client, path),
        "statements": len(statements),
        "page_p50": statistics.median(page_ms),
        "page_p95": percentile(page_ms, 0.95),
        "sql_p50": statistics.median(sql_ms),
        "sql_p95": percentile(sql_ms, 0.95),
    }


def report(results: list[tuple[str, dict[str, float]]], floor: dict[str, float]) -> bool:
    """Print the table and the floor; True if every page meets both targets."""
    header = (
        f"{'inbox page':<24}{'statements':>11}{'page p50':>10}{'page p95':>10}"
        f"{'SQL p50':>9}{'SQL p95':>9}{'ratio':>7}  target  {'Python calls':>12}"
    )
    print(header)
    print("-" * len(header))
    every = True
    for label, result in results:
        ratio = result["page_p95"] / result["sql_p95"]
        ok = result["page_p95"] < TARGET_P95_MS and ratio <= TARGET_RATIO
        every &= ok
        print(
            f"{label:<24}{result['statements']:>11}{result['page_p50']:>10.1f}"
            f"{result['page_p95']:>10.1f}{result['sql_p50']:>9.1f}{result['sql_p95']:>9.1f}"
            f"{ratio:>7.2f}  {'meets ' if ok else 'MISSES'}  {result['calls']:>12,.0f}"
        )
    print(
        f"Times in ms. Statements include the pool's pre-ping. Targets: page p95 < "
        f"{TARGET_P95_MS:.0f} ms and page p95 <= {TARGET_RATIO}x SQL p95 (the ratio). Python "
        "calls: function calls per page request (cProfile), independent of the machine's load."
    )
    above = floor["page_p95"] - floor["sql_p95"]
    print(
        f"\n{FLOOR[0]} (no query of its own; {floor['statements']:.0f} statements): page "
        f"p50/p95 {floor['page_p50']:.1f}/{floor['page_p95']:.1f} ms, its SQL "
        f"{floor['sql_p50']:.1f}/{floor['sql_p95']:.1f} ms, so {above:.1f} ms above its SQL at "
        f"p95 ({floor['calls']:,.0f} Python calls)."
    )
    for label, result in results:
        budget = (TARGET_RATIO - 1) * result["sql_p95"]
        print(
            f"{label:<24} budget above the SQL at {TARGET_RATIO}x: {budget:.1f} ms; "
            f"spent {result['page_p95'] - result['sql_p95']:.1f} ms; the floor alone: {above:.1f} ms"
        )
    return every


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--organisations", type=int, default=1700)
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--skip-generate", action="store_true", help="Measure existing data")
    args = parser.parse_args()

    os.environ.setdefault("PATHWAYS_ENV", "development")
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app()
    with app.app_context():
        if not args.skip_generate:
            started = time.perf_counter()
            with db.engine.connect() as connection:
                ensure_directory(connection, args.organisations, args.services)
                ensure_referrers(connection, 200, 5000)
                connection.commit()
                generate(connection, args.referrals)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                for table in ("person", "referral", "appointment", "feedback", "service"):
                    c.execute(text(f"VACUUM ANALYZE {table}"))
            print(
                f"Generated {args.referrals:,} referrals in {time.perf_counter() - started:.0f} s"
            )
        total = db.session.execute(text("SELECT count(*) FROM referral")).scalar_one()
        appointments = db.session.execute(text("SELECT count(*) FROM appointment")).scalar_one()
        feedback = db.session.execute(text("SELECT count(*) FROM feedback")).scalar_one()
        user_id, organisation_id, referrals = busiest_provider(app)
        db.session.remove()
    # Requests run outside any application context of ours, so that each has its own
    # (a shared one would keep the signed-in user and the session's identity map).
    print(
        f"Database: {total:,} referrals, {appointments:,} appointments, {feedback:,} "
        f"feedback. Busiest provider: organisation {organisation_id} with {referrals:,} "
        f"referrals. {args.samples} interleaved samples of each after {args.warmup} warm-up."
    )
    add_floor_page(app)
    results = [
        (label, measure(app, user_id, path, args.samples, args.warmup)) for label, path in PAGES
    ]
    floor = measure(app, user_id, FLOOR[1], args.samples, args.warmup)
    return 0 if report(results, floor) else 1


if __name__ == "__main__":
    sys.exit(main())
