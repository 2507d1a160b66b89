"""Signing in and out, password reset, CSRF and sign-in rate limits."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from tests.factories import PASSWORD, UserFactory, provider_user
from tests.helpers import csrf_token, post_form, sign_in


@pytest.mark.parametrize("role", [Role.PLATFORM_ADMIN, Role.REFERRER, Role.COMMISSIONER])
def test_each_role_signs_in_and_lands_on_its_dashboard(client: FlaskClient, role: Role) -> None:
    user = UserFactory(role=role)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Dashboard" in page
    # Names such as O'Connor are HTML-escaped in the page.
    assert f"Signed in as {escape(user.name)}" in page


def test_provider_dashboard_shows_their_organisation(client: FlaskClient) -> None:
    user = provider_user(name="Pat Provider")
    organisation = user.memberships[0].organisation
    sign_in(client, user.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert organisation.name in page


def test_sign_in_records_an_audit_event(client: FlaskClient) -> None:
    user = UserFactory()
    sign_in(client, user.email)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == user.id)
    ).all()
    assert "sign_in" in actions


@pytest.mark.parametrize(
    "email,password",
    [
        ("known@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_wrong_password_or_unknown_user_gets_the_same_clear_error(
    client: FlaskClient, email: str, password: str
) -> None:
    UserFactory(email="known@example.org")
    response = sign_in(client, email, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert client.get("/dashboard").status_code == 302  # still signed out


def test_missing_fields_are_reported_by_the_field(client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your email address" in page
    assert "Enter your password" in page
    assert 'href="#email"' in page


def test_suspended_user_cannot_sign_in(client: FlaskClient) -> None:
    user = UserFactory(active=False)
    response = sign_in(client, user.email)
    assert response.status_code == 400
    assert "suspended" in response.get_data(as_text=True)


def test_form_without_csrf_token_is_refused_with_a_clear_page(client: FlaskClient) -> None:
    user = UserFactory()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your form has expired" in response.get_data(as_text=True)


def test_too_many_sign_in_attempts_are_refused(client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    statuses = [
        client.post(
            "/sign-in", data={"email": "a@example.org", "password": "x", "csrf_token": token}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    last = client.post(
        "/sign-in", data={"email": "a@example.org", "password": "x", "csrf_token": token}
    )
    assert "Too many attempts" in last.get_data(as_text=True)


def test_sign_out_needs_post_and_signs_out(client: FlaskClient) -> None:
    user = UserFactory()
    sign_in(client, user.email)
    assert client.get("/sign-out").status_code == 405
    response = post_form(client, "/sign-out", {}, form_page="/dashboard")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client: FlaskClient) -> None:
    user = UserFactory()
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in?next=//evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/dashboard"


def _reset_link(user_email: str) -> str:
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == user_email)
    ).one()
    assert message.template == "password_reset"
    assert message.status == OutboxStatus.SENT  # sent inline after commit (no Redis here)
    return re.sub(r"^https?://[^/]+", "", message.personalisation["link"])


def test_password_reset_link_works_once(client: FlaskClient) -> None:
    user = UserFactory()
    response = post_form(client, "/forgot-password", {"email": user.email})
    assert "Check your email" in response.get_data(as_text=True)
    link = _reset_link(user.email)

    new_password = "a much better passphrase"
    response = post_form(client, link, {"password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert sign_in(client, user.email, new_password).status_code == 302

    reused = client.get(link)
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client: FlaskClient) -> None:
    response = post_form(client, "/forgot-password", {"email": "nobody@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "nobody@example.org")
        )
        is None
    )


def test_expired_reset_link_is_refused(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory()
    post_form(client, "/forgot-password", {"email": user.email})
    link = _reset_link(user.email)
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 2 * 3600)
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_forged_reset_link_is_refused(client: FlaskClient) -> None:
    response = client.get("/reset-password/not-a-token")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_new_password_must_be_long_enough_and_match(client: FlaskClient) -> None:
    user = UserFactory()
    post_form(client, "/forgot-password", {"email": user.email})
    link = _reset_link(user.email)
    response = post_form(client, link, {"password": "short", "confirm": "different"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Password must be 12 characters or more" in page
    assert "Passwords must match" in page
