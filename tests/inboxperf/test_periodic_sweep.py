"""``flask worker`` keeps one self-rescheduling sweep of reminders, nudges and the outbox,
against a real Redis."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask, g
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from marketplace import worker
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from marketplace.referrals import jobs, lifecycle
from marketplace.referrals.models import ReminderSent
from tests.factories import AppointmentFactory, ReferralFactory
from tests.inbox.conftest import Sides


@pytest.fixture
def redis(app: Flask, redis_url: str) -> Iterator[Redis]:
    """The application using a real (emptied) Redis, and a connection to it."""
    app.config["REDIS_URL"] = redis_url
    g.pop("redis", None)
    try:
        yield Redis.from_url(redis_url)
    finally:
        app.config["REDIS_URL"] = None
        g.pop("redis", None)


def scheduled_sweeps(redis: Redis) -> list[tuple[str, float]]:
    registry = Queue(worker.SWEEP_QUEUE, connection=redis).scheduled_job_registry
    return redis.zrange(registry.key, 0, -1, withscores=True)  # type: ignore[return-value]


def run_worker(app: Flask, *queues: str) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst", *queues])
    assert result.exit_code == 0, result.output


def test_only_one_sweep_is_ever_scheduled(redis: Redis) -> None:
    assert worker.schedule_sweep(redis, timedelta(minutes=5)) is True
    assert worker.schedule_sweep(redis, timedelta(0)) is False  # a second worker starting
    assert [job_id for job_id, _ in scheduled_sweeps(redis)] == [worker.SWEEP_JOB_ID.encode()]


def test_the_worker_runs_the_sweep_at_once_and_schedules_the_next(
    app: Flask, redis: Redis, sides: Sides
) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    AppointmentFactory(referral=sides.referral, starts_at=utcnow() + timedelta(hours=1))
    ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(days=9))  # overdue

    started = utcnow()
    run_worker(app)
    finished = utcnow()

    kinds = set(db.session.scalars(select(ReminderSent.kind)))
    assert kinds == {"appointment_2h", "response_overdue"}
    messages = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.template.in_(["appointment_reminder", "response_overdue"])
        )
    ).all()
    db.session.expire_all()
    assert len(messages) == 2
    assert {message.status for message in messages} == {OutboxStatus.SENT}
    [(job_id, due)] = scheduled_sweeps(redis)
    assert job_id == worker.SWEEP_JOB_ID.encode()
    # Five minutes after the sweep ran, however long the worker took on a busy machine
    # (RQ keeps whole seconds).
    interval = timedelta(minutes=5)
    assert (started + interval).timestamp() - 1 <= due <= (finished + interval).timestamp() + 1


def test_a_sweep_run_twice_sends_nothing_twice(app: Flask, redis: Redis, sides: Sides) -> None:
    ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(days=9))
    worker.periodic_sweep()
    worker.periodic_sweep()
    nudges = select(func.count()).select_from(OutboxMessage)
    assert db.session.scalar(nudges.where(OutboxMessage.template == "response_overdue")) == 1


def test_a_failing_sweep_is_logged_and_scheduled_again(
    app: Flask, redis: Redis, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> dict[str, int]:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(jobs, "sweep", broken)
    # Alembic's logging set-up (run by the schema tests) disables existing loggers.
    monkeypatch.setattr(worker.log, "disabled", False)
    with caplog.at_level(logging.ERROR, logger="marketplace.worker"):
        run_worker(app)
    assert "The periodic sweep failed" in caplog.text
    assert "database unreachable" in caplog.text
    [(job_id, due)] = scheduled_sweeps(redis)
    assert job_id == worker.SWEEP_JOB_ID.encode() and due > utcnow().timestamp() + 60


def test_a_lost_sweep_is_scheduled_again_at_the_next_maintenance(redis: Redis) -> None:
    app_worker = worker.AppWorker(["default"], connection=redis)
    app_worker.run_maintenance_tasks()
    assert [job_id for job_id, _ in scheduled_sweeps(redis)] == [worker.SWEEP_JOB_ID.encode()]


def test_a_failed_sweep_left_under_the_id_is_replaced(redis: Redis) -> None:
    queue = Queue(worker.SWEEP_QUEUE, connection=redis)
    stuck = queue.enqueue(worker.periodic_sweep, job_id=worker.SWEEP_JOB_ID)
    assert worker.schedule_sweep(redis, timedelta(0)) is False  # queued: it will run
    stuck.set_status("failed")
    assert worker.schedule_sweep(redis, timedelta(0)) is True
    assert queue.fetch_job(worker.SWEEP_JOB_ID).get_status() == "scheduled"


def test_a_worker_on_other_queues_leaves_the_sweep_alone(app: Flask, redis: Redis) -> None:
    run_worker(app, "notify")
    assert scheduled_sweeps(redis) == []
