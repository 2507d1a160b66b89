"""Start-up fails fast with one line that says what to set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        env={**clean, "PATHWAYS_ENV": "production", "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_database_url_is_one_clear_line() -> None:
    result = _start({})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Pathways cannot start: DATABASE_URL is not set. Set it to a PostgreSQL URL, for "
        "example postgresql+psycopg://postgres@127.0.0.1:5432/pathways"
    ]


def test_unreachable_database_is_one_clear_line() -> None:
    result = _start({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Pathways cannot reach the database (")
    assert "Check DATABASE_URL" in lines[0]


@pytest.mark.parametrize("missing", ["SECRET_KEY"])
def test_missing_secret_key_is_refused_in_production(missing: str) -> None:
    env = {"DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}
    clean = {k: v for k, v in os.environ.items() if k != missing}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        env={**clean, **env, "PATHWAYS_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr
