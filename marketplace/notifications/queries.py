"""Reads for the notifications admin page."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus

PAGE_SIZE = 50
UNDELIVERED = (OutboxStatus.FAILED, OutboxStatus.DEAD)


def undelivered(page: int = 1) -> tuple[Sequence[OutboxMessage], dict[str, int]]:
    """Failed (will retry) and dead (gave up) messages, newest first, and their counts."""
    counts = {
        status.value: count
        for status, count in db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_(UNDELIVERED))
            .group_by(OutboxMessage.status)
        )
    }
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(UNDELIVERED))
        .order_by(OutboxMessage.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return rows, {status.value: counts.get(status.value, 0) for status in UNDELIVERED}
