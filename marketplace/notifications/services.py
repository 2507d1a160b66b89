"""Queueing notifications: an outbox row in the caller's transaction, sent after commit."""

from __future__ import annotations

from typing import Any

from marketplace.extensions import db
from marketplace.jobs import enqueue_after_commit
from marketplace.notifications.models import Channel, OutboxMessage


def notify(
    channel: Channel, template: str, recipient: str, personalisation: dict[str, Any]
) -> OutboxMessage:
    """Queue a message. It is stored now and sent once the transaction commits; if Redis
    is down it waits in the outbox until ``flask outbox drain`` (or the scheduler) runs."""
    from marketplace.notifications.jobs import send_outbox_message

    message = OutboxMessage(
        channel=channel, template=template, recipient=recipient, personalisation=personalisation
    )
    db.session.add(message)
    db.session.flush()
    enqueue_after_commit(send_outbox_message, message.id, queue="notify")
    return message


def notify_email(template: str, recipient: str, personalisation: dict[str, Any]) -> OutboxMessage:
    return notify(Channel.EMAIL, template, recipient, personalisation)


def notify_sms(template: str, recipient: str, personalisation: dict[str, Any]) -> OutboxMessage:
    return notify(Channel.SMS, template, recipient, personalisation)
