"""The notifications admin page: failed and dead messages, and re-driving them."""

from __future__ import annotations

from flask.testing import FlaskClient

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from tests.factories import UserFactory, provider_user
from tests.helpers import post_form, sign_in


def dead_message(template: str = "referral_accept") -> OutboxMessage:
    message = OutboxMessage(
        channel="email",
        template=template,
        recipient="someone@example.org",
        personalisation={
            "reference": "PW-1",
            "service": "S",
            "organisation": "O",
            "link": "x",
            "name": "N",
            "actor": "A",
        },
        status=OutboxStatus.DEAD,
        attempts=6,
        last_error="Notify said 500",
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_admin_sees_dead_messages_and_re_drives_one(client: FlaskClient) -> None:
    message = dead_message()
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert "Notify said 500" in page and "someone@example.org" in page
    response = post_form(
        client, f"/admin/notifications/{message.id}/redrive", {}, form_page="/admin/notifications"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT


def test_re_drive_all_dead_messages(client: FlaskClient) -> None:
    messages = [dead_message(), dead_message()]
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    post_form(client, "/admin/notifications/redrive", {}, form_page="/admin/notifications")
    db.session.expire_all()
    assert {db.session.get(OutboxMessage, m.id).status for m in messages} == {OutboxStatus.SENT}
    assert "Every notification has been delivered" in client.get("/admin/notifications").get_data(
        as_text=True
    )


def test_only_platform_admins_see_the_failures(client: FlaskClient) -> None:
    sign_in(client, provider_user().email)
    assert client.get("/admin/notifications").status_code == 403


def test_re_drive_needs_csrf(client: FlaskClient) -> None:
    message = dead_message()
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    assert client.post(f"/admin/notifications/{message.id}/redrive").status_code == 400
    assert message.status == OutboxStatus.DEAD
