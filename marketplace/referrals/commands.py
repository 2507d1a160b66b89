"""``flask reminders sweep``: send reminders and nudges the scheduler missed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("reminders")
def reminders() -> None:
    """Appointment reminders and response nudges."""


@reminders.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Send every due reminder and nudge not yet sent, then drain the outbox."""
    from marketplace.referrals.jobs import sweep

    result = sweep()
    click.echo(
        f"Sent {result['reminders']} reminder(s) and {result['nudges']} nudge(s); "
        f"handed {result['drained']} message(s) to the sender."
    )
