"""Benchmark assessment -> matches page and referral creation on the scale data.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pathways_dev_ref \
        python scripts/bench/referral.py [--samples 200] [--seed 7]

Needs the scale data set: ``flask seed-taxonomy && flask seed-scale`` (10,000 services).

1. Creates ``--samples`` people of a bench referrer's agency, each placed near a random
   service location (where people and services are), with a complete assessment of two or
   three random needs (categories or sub-needs, severity 1-3), and commits them.
2. Opens each person's matches page through the whole Flask stack (signed in, in process:
   server time including the queries, matching and rendering; no network).
3. Sends each person a referral to their top match through ``POST /api/v1/referrals``
   (bearer token, real commits: the place taken, the timeline, audit and outbox rows).
4. Prints p50/p95 of both against the targets (matches p95 < 150 ms, referral creation
   p95 < 50 ms), then removes the people, assessments and referrals it made and gives
   back the places. Audit events stay: the audit log is append-only.

Run it against a development database, never production.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("PATHWAYS_ENV", "development")

TARGET_MATCHES_P95_MS = 150.0
TARGET_CREATE_P95_MS = 50.0
WARM_UP = 5
BENCH_EMAIL = "bench-referrer@bench.example"
BENCH_PASSWORD = "bench-referrer-password"
REFER_LINK = re.compile(r'/refer\?service=(\d+)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def report(name: str, values: list[float], target: float | None = None) -> bool:
    p50, p95 = percentile(values, 0.50), percentile(values, 0.95)
    verdict = ""
    if target is not None:
        verdict = f"  ({'meets' if p95 < target else 'MISSES'} p95 < {target:.0f} ms)"
    print(
        f"{name:<34} n={len(values):<4} p50 {p50:6.1f}  p95 {p95:6.1f}  "
        f"max {max(values):6.1f}  mean {statistics.mean(values):6.1f}{verdict}"
    )
    return target is None or p95 < target


class SqlClock:
    """Wall-clock time spent in SQL statements (from sending one to its result being
    back), and how many, added up until read; installed on the app's engine."""

    def __init__(self) -> None:
        self.total_ms = 0.0
        self.statements = 0
        self.texts: list[str] = []
        self._started: list[float] = []

    def install(self, engine) -> None:  # noqa: ANN001
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.texts.append(" ".join(statement.split())[:110])
        self._started.append(time.perf_counter())

    def _after(self, *args: object) -> None:
        self.total_ms += (time.perf_counter() - self._started.pop()) * 1000
        self.statements += 1

    def take(self) -> tuple[float, int]:
        spent = (self.total_ms, self.statements)
        self.total_ms, self.statements = 0.0, 0
        self.texts = []
        return spent


SQL = SqlClock()


class Timer:
    """Wall-clock time of a request, the CPU time this process spent on it (which leaves
    out waiting for the database and for a busy machine's cores), and the time and number
    of its SQL statements, in ms."""

    def __enter__(self) -> Timer:
        SQL.take()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_ms = (time.perf_counter() - self.wall) * 1000
        self.cpu_ms = (time.process_time() - self.cpu) * 1000
        self.texts = SQL.texts
        self.sql_ms, self.statements = SQL.take()


def bench_referrer():  # noqa: ANN201
    from sqlalchemy import select

    from marketplace.accounts.models import Role, User
    from marketplace.accounts.passwords import hash_password
    from marketplace.agencies.models import Agency, AgencyKind
    from marketplace.extensions import db

    user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
    if user is None:
        agency = Agency(name="Bench probation delivery unit", kind=AgencyKind.PROBATION_REGION)
        user = User(
            email=BENCH_EMAIL,
            name="Bench Referrer",
            role=Role.REFERRER,
            agency=agency,
            password_hash=hash_password(BENCH_PASSWORD),
        )
        db.session.add(user)
        db.session.flush()
    return user


def make_people(user, samples: int, rng: random.Random) -> list[int]:  # noqa: ANN001
    """People near random service locations, each with a complete assessment."""
    from sqlalchemy import select, text

    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.people.models import AssessedNeed, AssessmentStatus, NeedsAssessment, Person
    from marketplace.taxonomy.models import Need

    needs = list(db.session.scalars(select(Need.code)))
    points = db.session.execute(
        text(
            "SELECT ST_Y(point::geometry), ST_X(point::geometry) FROM location "
            "ORDER BY random() LIMIT :n"
        ),
        {"n": samples},
    ).all()
    if len(points) < samples:
        sys.exit("Not enough locations: run `flask seed-taxonomy && flask seed-scale` first.")
    ids = []
    for n, (lat, lon) in enumerate(points):
        lat, lon = lat + rng.gauss(0, 0.02), lon + rng.gauss(0, 0.03)
        person = Person(
            agency_id=user.agency_id,
            created_by_id=user.id,
            reference=f"BENCH-{n:05d}",
            age=rng.randint(18, 60),
            gender=rng.choice(["male", "female"]),
            point=f"SRID=4326;POINT({lon} {lat})",
            language="en",
            cjs_stage=rng.choice(["licence", "community_order", "court", "out_of_court"]),
            risk_level=rng.choice(["low", "medium", "high"]),
            offences=[],
            contact_preference="Contact me (the referrer) first",
        )
        assessment = NeedsAssessment(
            person=person,
            version=1,
            status=AssessmentStatus.COMPLETE,
            completed_at=utcnow(),
            consent_recorded_at=utcnow(),
            assessed_by_id=user.id,
            notes="Generated by the referral benchmark.",
        )
        chosen: dict[str, int] = {}
        wanted = rng.randint(2, 3)
        while len(chosen) < wanted:
            code = rng.choice(needs)
            if not any(code.startswith(c) or c.startswith(code) for c in chosen):
                chosen[code] = rng.randint(1, 3)
        assessment.needs = [AssessedNeed(need_code=c, severity=s) for c, s in chosen.items()]
        db.session.add_all([person, assessment])
        db.session.flush()
        ids.append(assessment.id)
    return ids


def clean_up(assessment_ids: list[int]) -> None:
    """Remove the bench's people, assessments and referrals; give the places back."""
    from sqlalchemy import text

    from marketplace.extensions import db

    params = {"ids": assessment_ids}
    db.session.execute(
        text(
            """
            UPDATE service s SET places_taken = s.places_taken - held.n
            FROM (SELECT service_id, count(*) AS n FROM referral
                  WHERE assessment_id = ANY(:ids) AND holds_place GROUP BY service_id) held
            WHERE s.id = held.service_id
            """
        ),
        params,
    )
    db.session.execute(
        text(
            "DELETE FROM outbox_message WHERE template = 'referral_received' AND "
            "personalisation->>'reference' IN "
            "(SELECT reference FROM referral WHERE assessment_id = ANY(:ids))"
        ),
        params,
    )
    db.session.execute(text("DELETE FROM referral WHERE assessment_id = ANY(:ids)"), params)
    db.session.execute(
        text(
            "DELETE FROM person WHERE id IN "
            "(SELECT person_id FROM needs_assessment WHERE id = ANY(:ids))"
        ),
        params,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="also write cProfile statistics of the referral-creation requests to FILE "
        "(profiling slows them: read the times of a run without it)",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="print the beginning of each statement the last referral creation sent",
    )
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None

    from sqlalchemy import func, select

    from marketplace import create_app
    from marketplace.accounts.tokens import issue_token
    from marketplace.directory.models import Service
    from marketplace.extensions import db
    from marketplace.jobs import commit

    app = create_app("development")
    with app.app_context():
        SQL.install(db.engine)
    # With REDIS_URL set (as in production) the provider's e-mail job is only queued;
    # without it the job runs inline after the commit and its time is counted too.
    print("jobs:", "queued on Redis" if app.config["REDIS_URL"] else "run inline (no REDIS_URL)")
    rng = random.Random(args.seed)
    with app.app_context():
        services = db.session.scalar(select(func.count()).select_from(Service)) or 0
        if services < 5000:
            sys.exit(f"Only {services} services: run `flask seed-scale` first.")
        user = bench_referrer()
        token = issue_token(user, "referral benchmark")
        assessment_ids = make_people(user, args.samples + WARM_UP, rng)
        commit()
    print(f"{services} services; {len(assessment_ids)} bench people with assessments")

    from marketplace.extensions import limiter

    limiter.enabled = False  # one sign-in per run, but runs follow each other quickly
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    client.post(
        "/sign-in",
        data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": csrf.group(1)},  # type: ignore[union-attr]
    )

    matches_ms: list[float] = []
    matches_cpu: list[float] = []
    matches_sql: list[float] = []
    matches_statements: list[int] = []
    create_ms: list[float] = []
    create_cpu: list[float] = []
    create_sql: list[float] = []
    create_statements: list[int] = []
    top_match: dict[int, int] = {}
    last_create_texts: list[str] = []
    created_kinds = {True: 0, False: 0}
    load_before = os.getloadavg()[0]
    try:
        for n, assessment_id in enumerate(assessment_ids):
            with Timer() as timer:
                response = client.get(f"/assessments/{assessment_id}/matches")
            if response.status_code != 200:
                sys.exit(f"Matches page answered {response.status_code}")
            found = REFER_LINK.search(response.get_data(as_text=True))
            if found:
                top_match[assessment_id] = int(found.group(1))
            if n >= WARM_UP:
                matches_ms.append(timer.wall_ms)
                matches_cpu.append(timer.cpu_ms)
                matches_sql.append(timer.sql_ms)
                matches_statements.append(timer.statements)

        headers = {"Authorization": f"Bearer {token}"}
        for n, (assessment_id, service_id) in enumerate(top_match.items()):
            # As a referrer would: take a place; only when none is left (409 no_places),
            # send again to join the waiting list. Both are real creations, both timed.
            for waiting_list in (False, True):
                if profiler is not None and n >= WARM_UP:
                    profiler.enable()
                with Timer() as timer:
                    response = client.post(
                        "/api/v1/referrals",
                        json={
                            "assessment_id": assessment_id,
                            "service_id": service_id,
                            "consent": True,
                            "idempotency_key": f"bench-{assessment_id}-{service_id}",
                            "join_waiting_list": waiting_list,
                        },
                        headers=headers,
                    )
                if profiler is not None:
                    profiler.disable()
                if response.status_code >= 500:
                    sys.exit(f"Referral creation answered {response.status_code}")
                if response.status_code != 409 or waiting_list:
                    break
            if n >= WARM_UP and response.status_code == 201:
                created_kinds[response.get_json()["holds_place"]] += 1
                create_ms.append(timer.wall_ms)
                create_cpu.append(timer.cpu_ms)
                create_sql.append(timer.sql_ms)
                create_statements.append(timer.statements)
                last_create_texts = timer.texts
    finally:
        with app.app_context():
            clean_up(assessment_ids)
            commit()

    if profiler is not None:
        profiler.dump_stats(args.profile)
        print(f"cProfile statistics of referral creation written to {args.profile}")
    load_after = os.getloadavg()[0]
    print(f"{len(top_match)} of {len(assessment_ids)} people had at least one match")
    print(
        f"referrals timed: {created_kinds[True]} took a place, "
        f"{created_kinds[False]} joined a waiting list or the service counts no places"
    )
    print(
        f"machine load average {load_before:.1f} before, {load_after:.1f} after "
        f"({os.cpu_count()} cores): times above about {os.cpu_count()} are inflated by sharing"
    )
    print("server time in ms (wall clock, through the whole Flask stack):")
    ok = report("  assessment -> matches page", matches_ms, TARGET_MATCHES_P95_MS)
    ok = report("  referral creation (API)", create_ms, TARGET_CREATE_P95_MS) and ok
    print("CPU time of the app process in ms (no waiting for the database or cores):")
    report("  assessment -> matches page", matches_cpu)
    report("  referral creation (API)", create_cpu)
    print("time in SQL statements in ms (sent until the result is back), same requests:")
    report("  assessment -> matches page", matches_sql)
    report("  referral creation (API)", create_sql)
    print("request time / its SQL time (median of per-request ratios), statements per request:")
    for name, wall, sql, statements in (
        ("  assessment -> matches page", matches_ms, matches_sql, matches_statements),
        ("  referral creation (API)", create_ms, create_sql, create_statements),
    ):
        ratios = [w / q for w, q in zip(wall, sql, strict=True) if q > 0]
        print(
            f"{name:<34} ratio p50 {statistics.median(ratios):4.2f}  "
            f"statements p50 {statistics.median(statements):.0f}  max {max(statements)}"
        )
    if args.statements:
        print("statements of the last referral creation:")
        for n, statement in enumerate(last_create_texts, 1):
            print(f"  {n:2d}. {statement}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
