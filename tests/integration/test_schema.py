"""The database schema is exactly what the migrations build, and its constraints hold."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from marketplace.extensions import db
from tests.factories import ServiceFactory, UserFactory


def test_models_and_migrations_agree(app: Flask) -> None:
    migrate_env = __import__("geoalchemy2.alembic_helpers", fromlist=["include_object"])
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    name not in {"spatial_ref_sys", "topology", "layer"}
                    and migrate_env.include_object(obj, name, type_, reflected, compare_to)
                ),
            },
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_age_range_cannot_be_upside_down() -> None:
    with pytest.raises(IntegrityError, match="age_range_ordered"):
        ServiceFactory(min_age=30, max_age=18)


def test_capacity_cannot_be_negative() -> None:
    with pytest.raises(IntegrityError, match="capacity_not_negative"):
        ServiceFactory(capacity=-1)


def test_places_taken_cannot_exceed_capacity() -> None:
    with pytest.raises(IntegrityError, match="places_taken_within_capacity"):
        ServiceFactory(capacity=2, places_taken=3)


def test_email_is_unique_whatever_its_case() -> None:
    UserFactory(email="Case@Example.org")
    with pytest.raises(IntegrityError, match="uq_user_account_email_lower"):
        UserFactory(email="case@example.org")


def test_audit_log_is_append_only() -> None:
    from marketplace.audit.services import record

    user = UserFactory()
    event = record("test", user, actor=user)
    db.session.flush()
    with pytest.raises(ProgrammingError, match="append-only"):
        db.session.execute(
            text("UPDATE audit_event SET action = 'x' WHERE id = :id"), {"id": event.id}
        )
