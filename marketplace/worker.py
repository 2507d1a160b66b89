"""``flask worker`` runs RQ jobs inside the application and keeps the periodic sweep going;
``flask outbox`` drains and re-drives.

The periodic sweep (``flask reminders sweep`` as a job: due reminders and nudges, then the
notification outbox) runs every ``SWEEP_INTERVAL_MINUTES``. It is one RQ job with a fixed
id that, each time it has run, is scheduled again (``enqueue_in``); scheduling is unique on
that id, so however many workers start, only one sweep is ever waiting. A worker
schedules it when it starts and, at each of RQ's maintenance passes (every ten minutes),
schedules it again if no sweep is waiting, queued or running: a sweep lost to a crash or
a flushed Redis comes back by itself. The sweep itself is idempotent, so a sweep run
twice, or alongside ``flask reminders sweep`` from cron, sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import DuplicateJobError
from rq.job import JobStatus

from marketplace.extensions import db
from marketplace.jobs import QUEUES, in_app_context, redis_connection

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "pathways-periodic-sweep"
SWEEP_QUEUE = "default"
SWEEP_TIMEOUT = timedelta(minutes=10)
# A sweep in one of these states will run (again) without being scheduled.
_LIVE = {
    JobStatus.SCHEDULED,
    JobStatus.QUEUED,
    JobStatus.STARTED,
    JobStatus.DEFERRED,
    JobStatus.CREATED,
}


def sweep_interval() -> timedelta:
    return timedelta(minutes=current_app.config["SWEEP_INTERVAL_MINUTES"])


def periodic_sweep() -> None:
    """The periodic sweep (RQ job): send due reminders and nudges, then drain the outbox.

    A failure is logged, never raised: the job then ends as a success, which RQ deletes
    (``result_ttl=0``) so that the next one can take the same id. The worker schedules
    that next one once this one is over (``AppWorker.perform_job``).
    """
    in_app_context(_periodic_sweep)


def _periodic_sweep() -> None:
    from marketplace.referrals.jobs import sweep

    try:
        result = sweep()
    except Exception:  # whatever went wrong, the job must end so the next can be scheduled
        db.session.rollback()
        log.exception("The periodic sweep failed; it will run again in %s", sweep_interval())
        return
    log.info(
        "Periodic sweep: sent %s reminder(s) and %s nudge(s); handed %s message(s) to the sender",
        result["reminders"],
        result["nudges"],
        result["drained"],
    )


def schedule_sweep(connection: Redis, delay: timedelta) -> bool:
    """Schedule the periodic sweep to run after ``delay`` unless a sweep is already
    waiting, queued or running. True if this call scheduled it.

    A finished or failed sweep still stored under the id is deleted first. Two workers
    racing here schedule one sweep: the scheduling is unique on the id.
    """
    queue = Queue(SWEEP_QUEUE, connection=connection)
    existing = queue.fetch_job(SWEEP_JOB_ID)
    if existing is not None:
        if existing.get_status() in _LIVE:
            return False
        existing.delete()
    try:
        queue.enqueue_in(
            delay,
            periodic_sweep,
            job_id=SWEEP_JOB_ID,
            unique=True,
            result_ttl=0,
            job_timeout=int(SWEEP_TIMEOUT.total_seconds()),
            description="Periodic sweep: reminders, nudges and the notification outbox",
        )
    except DuplicateJobError:
        return False
    return True


def _keep_sweep_scheduled(connection: Redis, delay: timedelta) -> None:
    try:
        schedule_sweep(connection, delay)
    except RedisError:
        # The next maintenance pass tries again; the worker itself needs Redis anyway.
        log.warning("Could not schedule the periodic sweep: Redis is unreachable")


class AppWorker(SimpleWorker):
    """Runs each job in a fresh application context and returns its connection after,
    and, if it works the sweep's queue, keeps the periodic sweep scheduled.

    SimpleWorker (no fork per job) so that database connections are never shared between
    a parent and a forked child.
    """

    @property
    def keeps_the_sweep(self) -> bool:
        return SWEEP_QUEUE in self.queue_names()

    def perform_job(self, job, queue, *execution):  # type: ignore[no-untyped-def]
        # RQ 3 passes the execution record too; RQ 2 does not.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        with app.app_context():
            try:
                performed = super().perform_job(job, queue, *execution)
            finally:
                db.session.remove()
        # Only now, with RQ done with this run (and its record deleted), may the next
        # sweep take the same id.
        if job.id == SWEEP_JOB_ID:
            _keep_sweep_scheduled(self.connection, sweep_interval())
        return performed

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        if self.keeps_the_sweep:
            _keep_sweep_scheduled(self.connection, timedelta(0))


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.argument("queues", nargs=-1)
@with_appcontext
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run a background worker on the given queues (default: all), and the periodic
    sweep of reminders, nudges and the notification outbox."""
    connection = redis_connection()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")
    app_worker = AppWorker(list(queues or QUEUES), connection=connection)
    if app_worker.keeps_the_sweep:
        # Catch up at once on whatever was missed while no worker ran.
        _keep_sweep_scheduled(connection, timedelta(0))
    app_worker.work(burst=burst, with_scheduler=True)


@click.group("outbox")
def outbox() -> None:
    """The notification outbox."""


@outbox.command("drain")
@with_appcontext
def drain() -> None:
    """Send every message that is due (after Redis was down, for example)."""
    from marketplace.notifications.jobs import drain_outbox

    click.echo(f"Handed {drain_outbox()} message(s) to the sender.")


@outbox.command("redrive")
@click.argument("message_ids", nargs=-1, type=int)
@with_appcontext
def redrive_command(message_ids: tuple[int, ...]) -> None:
    """Retry dead messages (all of them, or the ids given)."""
    from marketplace.notifications.jobs import drain_outbox, redrive

    count = redrive(list(message_ids) or None)
    drain_outbox()
    click.echo(f"Re-drove {count} message(s).")
