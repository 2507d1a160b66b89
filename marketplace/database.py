"""Shared column types and mixins for the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, func
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of datetime we store)."""
    return datetime.now(UTC)


def enum_type(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A ``StrEnum`` stored as VARCHAR with a CHECK constraint listing its values.

    Strings rather than native PostgreSQL enums, so adding a value is a one-line
    migration that rewrites a CHECK instead of an ``ALTER TYPE``.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Timestamped:
    """Adds ``created_at`` and ``updated_at``, set by the database."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def choices(
    enum_class: type[enum.StrEnum], labels: dict[Any, str] | None = None
) -> list[tuple[str, str]]:
    """(value, label) pairs for a form field, labels defaulting to the sentence-cased value."""
    labels = labels or {}
    return [
        (member.value, labels.get(member, member.value.replace("_", " ").capitalize()))
        for member in enum_class
    ]
