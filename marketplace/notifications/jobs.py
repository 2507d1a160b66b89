"""Sending outbox messages, with retries, back-off and a dead-letter state."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import render_template
from sqlalchemy import select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs import commit, enqueue, in_app_context
from marketplace.notifications.backends import DeliveryError, RenderedMessage, current_backend
from marketplace.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def backoff(attempts: int) -> timedelta:
    """Wait 1, 2, 4, 8, 16 ... minutes between attempts, at most a day."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 24 * 60))


def render(message: OutboxMessage) -> RenderedMessage:
    text = render_template(f"notifications/{message.template}.txt", **message.personalisation)
    subject, _, body = text.partition("\n---\n")
    return RenderedMessage(message.channel.value, message.recipient, subject.strip(), body.strip())


def send_outbox_message(message_id: int) -> None:
    """Deliver one outbox message. Safe to run twice: a sent message is left alone, and a
    message another worker holds is skipped."""
    in_app_context(_send, message_id)


def _send(message_id: int) -> None:
    message = db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .with_for_update(skip_locked=True)
    )
    if message is None or message.status in (OutboxStatus.SENT, OutboxStatus.DEAD):
        db.session.rollback()
        return
    message.attempts += 1
    try:
        reference = current_backend().deliver(render(message), f"outbox-{message.id}")
    except DeliveryError as error:
        message.last_error = str(error)[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.DEAD
            log.error("Outbox message %s is dead after %s attempts", message.id, message.attempts)
        else:
            message.status = OutboxStatus.FAILED
            message.next_attempt_at = utcnow() + backoff(message.attempts)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = utcnow()
        message.provider_reference = reference
        message.last_error = None
    commit()


def drain_outbox(limit: int = 500) -> int:
    """Hand every due message (pending or failed, next attempt passed) to a sender.
    Run by the scheduler and by ``flask outbox drain``; returns how many were handed on."""
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .where(OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    handed = 0
    for message_id in due:
        if enqueue(send_outbox_message, message_id, queue="notify"):
            handed += 1
    return handed


def redrive(message_ids: list[int] | None = None) -> int:
    """Put dead (or the given) messages back to pending with a fresh set of attempts."""
    query = select(OutboxMessage)
    if message_ids:
        query = query.where(OutboxMessage.id.in_(message_ids))
    else:
        query = query.where(OutboxMessage.status == OutboxStatus.DEAD)
    count = 0
    for message in db.session.scalars(query):
        if message.status == OutboxStatus.SENT:
            continue
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = utcnow()
        count += 1
    commit()
    return count
