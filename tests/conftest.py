"""Test fixtures: a real PostgreSQL+PostGIS test database built once per run with the
migrations, each test inside a transaction that is rolled back, and real Redis.

Databases: ``TEST_DATABASE_URL`` (default ``.../pathways_test``), one per xdist worker.
With ``CI=true`` a missing PostGIS, Redis or browser fails the run instead of skipping.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import database

IN_CI = os.environ.get("CI", "").lower() == "true"
LIVE_ELASTICSEARCH = "PATHWAYS_LIVE_ELASTICSEARCH_URL"


# Hypothesis's deadline and "too slow" health check time each example: on a shared
# machine under load they fail tests for the machine's sake, not the code's. Speed is
# measured by scripts/bench, never by timed assertions in the suite.
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SECRET_KEY", "test-secret-key")
    os.environ["TEST_DATABASE_URL"] = database.worker_url(
        os.environ.get("TEST_DATABASE_URL", database.DEFAULT_URL),
        os.environ.get("PYTEST_XDIST_WORKER"),
    )
    os.environ.pop("REDIS_URL", None)  # jobs run inline unless a test asks for Redis
    # The app under test uses PostgreSQL search unless a test chooses a backend; a live
    # Elasticsearch, when one is given, is kept for the tests marked ``elasticsearch``.
    live = os.environ.pop("ELASTICSEARCH_URL", None)
    if live:
        os.environ[LIVE_ELASTICSEARCH] = live


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a live Elasticsearch the tests that need one are deselected (reported as
    deselected, never counted as passed or skipped)."""
    if os.environ.get(LIVE_ELASTICSEARCH):
        return
    live_only = [item for item in items if item.get_closest_marker("elasticsearch")]
    if live_only:
        config.hook.pytest_deselected(items=live_only)
        items[:] = [item for item in items if not item.get_closest_marker("elasticsearch")]


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    database.prepare_test_database(os.environ["TEST_DATABASE_URL"])
    from marketplace import create_app

    app = create_app("test")
    yield app
    from marketplace.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _rolled_back_transaction(request: pytest.FixtureRequest, app: Flask) -> Iterator[None]:
    """Run each test in a transaction rolled back at the end; ``commit()`` in the code
    under test releases a savepoint. Tests marked ``committing`` really commit and
    clean up after themselves (browser and concurrency tests)."""
    if request.node.get_closest_marker("committing") or request.node.get_closest_marker("browser"):
        yield
        database.truncate_transactional_tables(app)
        return
    with database.rolled_back(app):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> None:
    from marketplace.extensions import limiter

    limiter.reset()


class IsolatedClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``.

    The test's own application context (for the rolled-back transaction) is reused by
    the requests, so without this ``g`` — and Flask-Login's cached user in it — would
    leak from one request to the next and hide authorisation bugs.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if has_app_context():
            for name in list(g):
                g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis (``TEST_REDIS_URL``, default database 15), emptied, and this test's
    alone while it runs. Missing Redis fails in CI and skips locally.

    Tests using it empty the database and inspect its queues and schedules, so they hold
    an exclusive lock on it: tests on other xdist workers, or in another run against the
    same database, wait their turn. (Grouping them onto one worker with xdist's
    ``loadgroup`` does not work with pytest 9.2: pytest-xdist issue 1386.)
    """
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {url} (CI requires it)")
        pytest.skip(f"Redis is not reachable at {url}")
    with _exclusively(url):
        connection.flushdb()
        yield url


@contextmanager
def _exclusively(name: str) -> Iterator[None]:
    """Hold an exclusive lock named after ``name`` (a file lock, across processes)."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"pathways-test-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def engine_for(url: str):  # noqa: ANN201 - small helper for tests that need raw SQL
    return create_engine(make_url(url))


__all__ = ["engine_for", "text"]
