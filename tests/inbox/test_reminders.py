"""Reminders and nudges: scheduled through RQ, idempotent, swept when missed; and with
Redis stopped, actions still commit and their messages wait in the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from marketplace.referrals import jobs, lifecycle, services
from marketplace.referrals.models import AppointmentStatus, ReferralState, ReminderSent
from tests.factories import AppointmentFactory, ReferralFactory
from tests.helpers import csrf_token, sign_in
from tests.inbox.conftest import Sides


def sent_templates(template: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.template == template)
    )


@pytest.fixture
def accepted(sides: Sides) -> Sides:
    lifecycle.accept(sides.referral, sides.provider)
    return sides


def test_a_reminder_sends_once_however_often_it_runs(accepted: Sides) -> None:
    appointment = AppointmentFactory(
        referral=accepted.referral, starts_at=utcnow() + timedelta(hours=40)
    )
    assert jobs._remind(appointment.id, 48) is True
    assert jobs._remind(appointment.id, 48) is False
    assert sent_templates("appointment_reminder") == 1
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "appointment_reminder")
    )
    assert message.recipient == "person@example.org" and "/p/" in message.personalisation["link"]


def test_no_reminder_before_it_is_due_or_for_a_cancelled_appointment(accepted: Sides) -> None:
    later = AppointmentFactory(referral=accepted.referral, starts_at=utcnow() + timedelta(days=5))
    assert jobs._remind(later.id, 48) is False
    cancelled = AppointmentFactory(
        referral=accepted.referral,
        starts_at=utcnow() + timedelta(hours=3),
        status=AppointmentStatus.CANCELLED,
    )
    assert jobs._remind(cancelled.id, 48) is False
    assert sent_templates("appointment_reminder") == 0


def test_when_both_are_due_only_the_nearer_reminder_is_sent(accepted: Sides) -> None:
    soon = AppointmentFactory(referral=accepted.referral, starts_at=utcnow() + timedelta(hours=1))
    assert jobs._remind(soon.id, 48) is False
    assert jobs._remind(soon.id, 2) is True


def test_the_sweep_sends_due_reminders_and_nudges_once(accepted: Sides) -> None:
    AppointmentFactory(referral=accepted.referral, starts_at=utcnow() + timedelta(hours=30))
    overdue = ReferralFactory(service=accepted.service, sent_at=utcnow() - timedelta(days=9))
    ReferralFactory(service=accepted.service)  # just sent: not overdue

    first = jobs.sweep()
    assert (first["reminders"], first["nudges"]) == (1, 1)
    assert jobs.sweep()["reminders"] == 0 and jobs.sweep()["nudges"] == 0
    nudge = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "response_overdue")
    )
    assert nudge.personalisation["reference"] == overdue.reference
    assert nudge.recipient == "referrals@charity.example"


def test_no_nudge_once_the_provider_has_responded(sides: Sides) -> None:
    sides.referral.sent_at = utcnow() - timedelta(days=9)
    lifecycle.accept(sides.referral, sides.provider)
    assert jobs._nudge(sides.referral.id) is False


def test_the_reminders_command_runs_the_sweep(app: Flask, accepted: Sides) -> None:
    AppointmentFactory(referral=accepted.referral, starts_at=utcnow() + timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["reminders", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 reminder(s)" in result.output
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 1


def test_booking_schedules_the_reminders_in_rq(app: Flask, accepted: Sides, redis_url: str) -> None:
    app.config["REDIS_URL"] = redis_url
    g.pop("redis", None)
    try:
        appointment = services.book_appointment(
            accepted.referral,
            accepted.provider,
            starts_at=utcnow() + timedelta(days=3),
            mode="phone",
        )
        from marketplace.jobs import commit

        commit()
        queue = Queue("default", connection=Redis.from_url(redis_url))
        scheduled = set(queue.scheduled_job_registry.get_job_ids())
        assert scheduled == {
            f"appointment-{appointment.id}-reminder-48h",
            f"appointment-{appointment.id}-reminder-2h",
        }
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)


def test_with_redis_down_actions_commit_and_the_outbox_drains_when_it_returns(
    app: Flask, client: FlaskClient, sides: Sides, redis_url: str
) -> None:
    sign_in(client, sides.provider.email)
    path = f"/referrals/{sides.referral.id}"
    token = csrf_token(client, path)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # Redis stopped
    g.pop("redis", None)
    try:
        response = client.post(f"{path}/accept", data={"csrf_token": token})
        assert response.status_code == 302
        assert sides.referral.state == ReferralState.ACCEPTED
        waiting = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "referral_accept")
        ).all()
        assert [m.status for m in waiting] == [OutboxStatus.PENDING]

        app.config["REDIS_URL"] = redis_url  # Redis is back
        g.pop("redis", None)
        assert jobs.sweep()["drained"] >= 1
        connection = Redis.from_url(redis_url)
        SimpleWorker([Queue("notify", connection=connection)], connection=connection).work(
            burst=True
        )
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, waiting[0].id).status == OutboxStatus.SENT
