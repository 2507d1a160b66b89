"""Benchmark: import an Open Referral UK file of 10,000 services with ``flask import-oruk``.

Generates a realistic HSDS 3.0 file (1,700 organisations with charity numbers, 10,000
services, 15,000 locations, service_at_locations, taxonomies, terms and attributes, a few
terms that do not map) and times the command against a database of your choosing, which
must already exist with PostGIS. Target: under 30 seconds.

    python scripts/bench/oruk_import.py --database-url postgresql+psycopg://.../pathways_bench
    python scripts/bench/oruk_import.py --database-url ... --recreate   # drop and recreate it first

Exit status 1 if the import is over the target or did not import every service.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 30.0

NEEDS = [
    "accommodation",
    "accommodation.homeless",
    "accommodation.at_risk",
    "ete.employment",
    "ete.training",
    "health.mental_health",
    "drugs_alcohol.drugs",
    "drugs_alcohol.alcohol",
    "finance.debt",
    "finance.benefits",
    "family.parenting",
    "attitudes.mentoring",
    "women.domestic_abuse",
    "victims.emotional_support",
    "youth.diversion",
]
EXTERNAL_TERMS = [
    ("Mental health", True),
    ("Debt advice", True),
    ("Housing", True),
    ("Employment support", True),
    ("Substance misuse", True),
    ("Parenting support", True),
    ("Swimming lessons", False),
    ("Lunch club", False),
]
TOWNS = ["Leeds", "Manchester", "Birmingham", "Bristol", "Norwich", "Exeter", "Hull", "Leicester"]
WORDS = [
    "Hope",
    "Bridge",
    "Harbour",
    "Compass",
    "Anchor",
    "Pathway",
    "Renew",
    "Open Door",
    "Beacon",
]


def generate(services: int, organisations: int, locations: int, seed: int) -> dict:
    rng = random.Random(seed)
    run = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
    taxonomies = [
        {"id": "tax-pathways", "name": "pathways-needs"},
        {"id": "tax-esd", "name": "esd-needs", "uri": "https://example.org/esd/needs"},
    ]
    terms = [
        {"id": f"term-{code}", "code": code, "name": code, "taxonomy_id": "tax-pathways"}
        for code in NEEDS
    ] + [
        {"id": f"term-esd-{i}", "code": f"ESD-{i}", "name": name, "taxonomy_id": "tax-esd"}
        for i, (name, _) in enumerate(EXTERNAL_TERMS)
    ]
    orgs = []
    charity_numbers = rng.sample(range(1_000_000, 9_999_999), organisations)
    for i in range(organisations):
        orgs.append(
            {
                "id": f"org-{run}-{i}",
                "name": f"{rng.choice(WORDS)} {rng.choice(TOWNS)} Trust {i}",
                "description": "Supporting people in contact with the criminal justice system.",
                "email": f"hello{i}@org{i}.example",
                "website": f"https://org{i}.example",
                "organization_identifiers": [
                    {
                        "identifier_scheme": "GB-CHC",
                        "identifier_type": "charity number",
                        "identifier": str(charity_numbers[i]),
                    }
                ],
            }
        )
    locs = []
    for i in range(locations):
        lat, lon = rng.uniform(50.6, 54.4), rng.uniform(-2.9, 0.4)
        locs.append(
            {
                "id": f"loc-{run}-{i}",
                "location_type": "physical",
                "name": f"{rng.choice(TOWNS)} hub {i}",
                "latitude": round(lat, 6),
                "longitude": round(lon, 6),
                "addresses": [
                    {
                        "address_1": f"{rng.randint(1, 300)} High Street",
                        "city": rng.choice(TOWNS),
                        "postal_code": "",
                        "country": "GB",
                        "address_type": "physical",
                    }
                ],
            }
        )
    svcs, links, attributes = [], [], []
    for i in range(services):
        service_id = f"svc-{run}-{i}"
        low = rng.choice([None, 16, 18, 21])
        svcs.append(
            {
                "id": service_id,
                "organization_id": orgs[i % organisations]["id"],
                "name": f"{rng.choice(WORDS)} support service {i}",
                "alternate_name": "Practical and emotional support",
                "description": "One-to-one support from a caseworker, weekly sessions. " * 3,
                "status": rng.choice(["active"] * 9 + ["inactive"]),
                "minimum_age": low,
                "maximum_age": rng.choice([None, 65, 99]) if low else None,
                "languages": [{"code": "en"}] + ([{"code": "pl"}] if i % 7 == 0 else []),
                "capacities": [
                    {"available": rng.randint(0, 10), "maximum": 10, "unit": {"name": "places"}}
                ],
            }
        )
        # Every location is used: each service gets one in turn and the rest are shared out.
        places = {i % locations}
        spare = i + services
        while spare < locations and len(places) < 3:
            places.add(spare)
            spare += services
        for n, location in enumerate(sorted(places)):
            links.append(
                {
                    "id": f"sal-{service_id}-{n}",
                    "service_id": service_id,
                    "location_id": locs[location]["id"],
                }
            )
        chosen = rng.sample(NEEDS, 2) + (
            [f"esd-{rng.randrange(len(EXTERNAL_TERMS))}"] if i % 3 == 0 else []
        )
        for n, code in enumerate(chosen):
            term = f"term-{code}"
            attributes.append(
                {
                    "id": f"attr-{service_id}-{n}",
                    "link_id": service_id,
                    "link_type": "service",
                    "taxonomy_term_id": term,
                }
            )
    return {
        "organizations": orgs,
        "services": svcs,
        "locations": locs,
        "service_at_locations": links,
        "taxonomies": taxonomies,
        "taxonomy_terms": terms,
        "attributes": attributes,
    }


def recreate(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{parsed.database}"')
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        required=not os.environ.get("BENCH_DATABASE_URL"),
    )
    parser.add_argument(
        "--recreate", action="store_true", help="Drop and recreate the database first."
    )
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--organisations", type=int, default=1_700)
    parser.add_argument("--locations", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()

    if args.recreate:
        recreate(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "PATHWAYS_ENV": "development",
        "FLASK_APP": "wsgi",
    }
    env.pop("REDIS_URL", None)
    flask(env, "db", "upgrade")
    flask(env, "seed-taxonomy")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "oruk.json"
        started = time.perf_counter()
        path.write_text(
            json.dumps(generate(args.services, args.organisations, args.locations, args.seed))
        )
        print(
            f"Generated {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f}s"
        )
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "flask", "import-oruk", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
    print(result.stdout.strip())
    unmapped = [line for line in result.stderr.splitlines() if line.startswith("Unmapped")]
    problems = [line for line in result.stderr.splitlines() if line.startswith("Not imported")]
    print(f"{len(problems)} rows not imported; {len(unmapped)} unmapped taxonomy terms reported")
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        return 1
    ok = elapsed < TARGET_SECONDS and f"{args.services} services" in result.stdout
    print(
        f"flask import-oruk: {args.services} services in {elapsed:.1f}s (target < {TARGET_SECONDS:.0f}s): {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
