"""Background jobs on RQ, with named queues.

With ``REDIS_URL`` set, jobs go to Redis and ``flask worker`` runs them; without it they
run inline once the request's transaction has committed, so the site still works on a
machine with no Redis. Jobs take ids, never ORM objects, and must be safe to run twice.
Enqueueing happens only after commit: a job never sees data that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db

log = logging.getLogger(__name__)

QUEUES = ("default", "search", "notify")


def redis_connection() -> Redis | None:
    """The application's Redis client, or None without ``REDIS_URL``.

    One client, and so one connection pool, per application and URL, made on first use
    and shared by every request and thread of the process: a request reuses a pooled
    connection instead of opening (and leaving to the garbage collector) a new one. The
    pool notices a fork and starts afresh in the child, so RQ's work horses are safe.
    """
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients: dict[str, Redis] = current_app.extensions.setdefault("redis_clients", {})
    client = clients.get(url)
    if client is None:
        # Two threads racing here each make a client; one is kept. Harmless.
        client = clients[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return client


def get_queue(name: str) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"Unknown queue {name!r}; queues are {', '.join(QUEUES)}")
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("REDIS_URL is not set")
    return Queue(name, connection=connection)


def enqueue(func: Callable[..., Any], *args: Any, queue: str = "default") -> bool:
    """Run ``func(*args)`` in the background now. Returns False if Redis is unreachable
    (the caller's outbox row stays pending and a later drain picks it up)."""
    if redis_connection() is None:
        func(*args)
        return True
    try:
        get_queue(queue).enqueue(func, *args, job_timeout=300, result_ttl=3600)
    except RedisError:
        log.warning("Redis is unreachable; %s(%s) stays in its outbox", func.__name__, args)
        return False
    return True


def enqueue_after_commit(func: Callable[..., Any], *args: Any, queue: str = "default") -> None:
    """Enqueue ``func(*args)`` when the current transaction is committed by ``commit()``;
    dropped if it rolls back instead."""
    db.session().info.setdefault("pending_jobs", []).append((func, args, queue))


def schedule(
    func: Callable[..., Any], *args: Any, at: datetime, job_id: str, queue: str = "default"
) -> bool:
    """Run ``func(*args)`` at ``at`` through RQ's scheduler (``flask worker`` runs it).

    ``job_id`` makes scheduling twice replace rather than duplicate. Returns False when
    there is no Redis or it is unreachable: scheduled work must therefore also be found by a
    sweep (``flask reminders sweep``), and the job itself must be idempotent.
    """
    if redis_connection() is None:
        return False
    try:
        get_queue(queue).enqueue_at(
            at, func, *args, job_id=job_id, job_timeout=300, result_ttl=3600
        )
    except RedisError:
        log.warning("Redis is unreachable; %s(%s) waits for the sweep", func.__name__, args)
        return False
    return True


def schedule_after_commit(
    func: Callable[..., Any], *args: Any, at: datetime, job_id: str, queue: str = "default"
) -> None:
    """``schedule`` once the current transaction commits; dropped if it rolls back."""
    db.session().info.setdefault("pending_schedules", []).append((func, args, at, job_id, queue))


def commit() -> None:
    """Commit the request's or job's transaction, then hand its jobs to RQ (or run them).

    This is the one place a unit of work ends: views and jobs call it at the edge.
    """
    session = db.session()
    session.commit()
    for func, args, queue in session.info.pop("pending_jobs", []):
        enqueue(func, *args, queue=queue)
    for func, args, at, job_id, queue in session.info.pop("pending_schedules", []):
        schedule(func, *args, at=at, job_id=job_id, queue=queue)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_jobs(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("pending_jobs", None)
        session.info.pop("pending_schedules", None)


def in_app_context(func: Callable[..., Any], *args: Any) -> Any:
    """Run a job body inside an application context (the RQ worker's entry point)."""
    if has_app_context():
        return func(*args)
    from marketplace import create_app

    app = create_app()
    with app.app_context():
        return func(*args)
