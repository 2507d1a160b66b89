"""What a request sends to the database, and the same statements run bare: the shared
yardstick of the benchmarks that compare an endpoint with "the bare SQL it runs"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event


def capture_statements(app: Any, client: Any, path: str) -> list[tuple[str, object]]:
    """Every statement (with its parameters) one GET of ``path`` sends, in order,
    preceded by the pre-ping the pool sends when the request checks out a connection."""
    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    if engine.pool._pre_ping:
        captured.insert(0, ("SELECT 1", None))
    return captured


def replay(raw: Any, statements: list[tuple[str, object]], *, commit: bool = False) -> None:
    """Run ``statements`` on the raw driver connection ``raw`` in one transaction and
    fetch every row, as the request does; then roll back, as the request does (or commit,
    which keeps psycopg's prepared statements: see prepared.py)."""
    cursor = raw.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        if cursor.description:
            cursor.fetchall()
    cursor.close()
    if commit:
        raw.commit()
    else:
        raw.rollback()
