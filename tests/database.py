"""Building and resetting the test database."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_test"

# Postcode areas loaded for tests: London, Manchester, Birmingham and the demo's districts.
TEST_POSTCODE_AREAS = {
    "SW",
    "SE",
    "CF",
    "E",
    "N",
    "NW",
    "W",
    "EC",
    "WC",
    "M",
    "B",
    "OL",
    "BL",
    "SK",
    "WN",
    "CV",
    "WV",
    "WS",
    "DY",
}

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINTED = (
    "migrations/versions/*.py",
    "marketplace/taxonomy/needs.json",
    "onboarding/*load*.py",
    "onboarding/area_*.py",
    "onboarding/data/*",
    "onboarding/code_point.py",
    "onboarding/lsoa_boundaries.py",
)

# Reference data survives between tests; everything else is emptied after committing tests.
REFERENCE_TABLES = {
    "alembic_version",
    "need",
    "area",
    "postcode",
    "outward_code",
    "spatial_ref_sys",
}


def worker_url(url: str, worker: str | None) -> str:
    """One database per xdist worker: pathways_test_gw0, pathways_test_gw1, ..."""
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _admin_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def schema_fingerprint() -> str:
    """A hash of everything that shapes the migrated and seeded test database."""
    digest = hashlib.sha256(repr(sorted(TEST_POSTCODE_AREAS)).encode())
    for pattern in FINGERPRINTED:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def prepare_test_database(url: str) -> None:
    """(Re)create the test database as a copy of a template that holds the migrated
    schema, the needs taxonomy and a slice of real postcodes and areas.

    The template is built once per schema fingerprint (about a minute) and reused by
    later runs and by every xdist worker; copying it takes a second or two.
    """
    name = make_url(url).database
    template = f"pathways_test_template_{schema_fingerprint()}"
    with psycopg.connect(_dsn(url, "postgres"), autocommit=True) as admin:
        # One builder at a time across xdist workers and concurrent runs.
        admin.execute("SELECT pg_advisory_lock(720431)")
        try:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
            ).fetchone()
            if not exists:
                _build_template(url, template, admin)
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            admin.execute("SELECT pg_advisory_unlock(720431)")


def _build_template(url: str, template: str, admin: psycopg.Connection) -> None:
    stale = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE 'pathways_test_template_%%'"
    ).fetchall()
    for (old,) in stale:
        # Another checkout's run may be copying its own template right now: never force.
        with contextlib.suppress(psycopg.errors.ObjectInUse):
            admin.execute(f'DROP DATABASE IF EXISTS "{old}"')
    admin.execute(f'CREATE DATABASE "{template}"')
    with psycopg.connect(_dsn(url, template), autocommit=True) as connection:
        try:
            connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.FeatureNotSupported as error:
            admin.execute(f'DROP DATABASE "{template}"')
            raise RuntimeError(
                "PostGIS is not installed: run ./scripts/test, which installs it"
            ) from error
    template_url = make_url(url).set(database=template).render_as_string(hide_password=False)
    previous = os.environ["TEST_DATABASE_URL"]
    os.environ["TEST_DATABASE_URL"] = template_url
    try:
        from marketplace import create_app

        builder = create_app("test")
        _migrate_and_seed(builder)
    except BaseException:
        admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        raise
    finally:
        os.environ["TEST_DATABASE_URL"] = previous


def _migrate_and_seed(app: Flask) -> None:
    """Apply every migration (as production does) and load the reference data."""
    from flask_migrate import upgrade

    from marketplace.extensions import db
    from marketplace.jobs import commit
    from marketplace.taxonomy.services import seed_needs
    from onboarding.geodata import load_geodata

    with app.app_context():
        upgrade()
        seed_needs()
        commit()
        load_geodata(postcode_areas=TEST_POSTCODE_AREAS, progress=False)
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    from marketplace.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own Session.get_bind() would pick
        # the engine (a fresh connection that really commits) over this connection.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_context_id,
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


def _app_context_id() -> int:
    from flask.globals import app_ctx

    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def truncate_transactional_tables(app: Flask) -> None:
    from sqlalchemy import text

    from marketplace.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        with db.engine.begin() as connection:
            connection.execute(
                text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            )
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            connection.execute(
                text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
            )
