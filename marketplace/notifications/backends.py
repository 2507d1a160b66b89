"""Where outbox messages are delivered: GOV.UK Notify in production, the log elsewhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

log = logging.getLogger("pathways.notifications")


@dataclass(frozen=True)
class RenderedMessage:
    channel: str
    recipient: str
    subject: str
    body: str


class DeliveryError(RuntimeError):
    """The backend could not deliver; the message will be retried."""


class Backend(Protocol):
    def deliver(self, message: RenderedMessage, reference: str) -> str:
        """Send ``message``; return the provider's reference. Raises DeliveryError."""


class LogBackend:
    """Writes each message to the log; used when no Notify key is configured."""

    def deliver(self, message: RenderedMessage, reference: str) -> str:
        log.info(
            "%s to %s [%s]: %s\n%s",
            message.channel,
            message.recipient,
            reference,
            message.subject,
            message.body,
        )
        return f"log-{reference}"


class NotifyBackend:
    """GOV.UK Notify, through one generic template per channel whose only placeholders
    are ((subject)) and ((body)), so our wording lives in this repository."""

    def __init__(self, api_key: str, email_template_id: str, sms_template_id: str) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key)
        self.email_template_id = email_template_id
        self.sms_template_id = sms_template_id

    def deliver(self, message: RenderedMessage, reference: str) -> str:
        from notifications_python_client.errors import HTTPError

        try:
            if message.channel == "sms":
                response = self.client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=self.sms_template_id,
                    personalisation={"body": message.body},
                    reference=reference,
                )
            else:
                response = self.client.send_email_notification(
                    email_address=message.recipient,
                    template_id=self.email_template_id,
                    personalisation={"subject": message.subject, "body": message.body},
                    reference=reference,
                )
        except (HTTPError, OSError) as error:
            raise DeliveryError(str(error)) from error
        return str(response.get("id", reference))


def current_backend() -> Backend:
    config = current_app.config
    override = current_app.extensions.get("notification_backend")
    if override is not None:
        return override  # type: ignore[no-any-return]
    if config.get("NOTIFY_API_KEY"):
        return NotifyBackend(
            config["NOTIFY_API_KEY"],
            config.get("NOTIFY_EMAIL_TEMPLATE_ID", ""),
            config.get("NOTIFY_SMS_TEMPLATE_ID", ""),
        )
    return LogBackend()
