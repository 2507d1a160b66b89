"""RQ wiring end to end against the real Redis, and the outbox when Redis is down."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker

from marketplace.extensions import db
from marketplace.jobs import commit, redis_connection
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from marketplace.notifications.services import notify_email


def test_notification_job_goes_through_redis_and_a_worker_sends_it(
    app: Flask, redis_url: str
) -> None:
    app.config["REDIS_URL"] = redis_url
    try:
        message = notify_email(
            "password_reset",
            "a@example.org",
            {"name": "A", "link": "https://x", "valid_for": "1 hour"},
        )
        commit()
        connection = Redis.from_url(redis_url)
        queue = Queue("notify", connection=connection)
        assert queue.count == 1
        assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.PENDING

        SimpleWorker([queue], connection=connection).work(burst=True)

        db.session.expire_all()
        sent = db.session.get(OutboxMessage, message.id)
        assert sent.status == OutboxStatus.SENT
        assert sent.provider_reference == f"log-outbox-{message.id}"
    finally:
        app.config["REDIS_URL"] = None


def test_with_redis_down_the_message_waits_in_the_outbox_then_drains(app: Flask) -> None:
    from marketplace.notifications.jobs import drain_outbox

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        message = notify_email(
            "password_reset",
            "b@example.org",
            {"name": "B", "link": "https://x", "valid_for": "1 hour"},
        )
        commit()  # the change commits even though Redis is unreachable
        assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.PENDING
    finally:
        app.config["REDIS_URL"] = None
    assert drain_outbox() >= 1  # Redis "back": here, inline
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT


def test_a_job_is_dropped_when_the_transaction_rolls_back(app: Flask) -> None:
    message = notify_email(
        "password_reset", "c@example.org", {"name": "C", "link": "https://x", "valid_for": "1 hour"}
    )
    message_id = message.id
    db.session.rollback()
    commit()
    assert db.session.get(OutboxMessage, message_id) is None


def test_requests_share_one_redis_client_and_its_connection_pool(
    app: Flask, redis_url: str
) -> None:
    app.config["REDIS_URL"] = redis_url
    try:
        clients, pooled = [], []
        for _ in range(5):
            with app.app_context():  # a new one each time, as each request has
                client = redis_connection()
                assert client is not None and client.ping()
                clients.append(client)
                pooled.append(len(client.connection_pool._available_connections))
        assert all(client is clients[0] for client in clients)
        # Each ping returned its connection to the pool and the next one took it again:
        # no request opened a connection of its own.
        assert pooled == [pooled[0]] * 5
    finally:
        app.config["REDIS_URL"] = None
