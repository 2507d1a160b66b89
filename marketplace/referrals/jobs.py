"""Reminders and nudges: RQ jobs scheduled for a moment, and a sweep for missed ones.

Jobs take ids and are idempotent: each reminder is claimed by inserting a
``reminder_sent`` row ``ON CONFLICT DO NOTHING`` in the same transaction as its outbox
message, so a job run twice, or by both the scheduler and the sweep, sends once.
``sweep`` (run every few minutes by ``flask worker``, see ``marketplace.worker``, and by
hand with ``flask reminders sweep``) catches whatever the scheduler missed while Redis or
the worker was down, and drains the outbox.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.dialects.postgresql import insert

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs import commit, in_app_context, schedule_after_commit
from marketplace.referrals import notices, person_links
from marketplace.referrals.models import (
    Appointment,
    AppointmentStatus,
    Referral,
    ReferralState,
    ReminderSent,
)
from marketplace.referrals.notices import describe_time
from marketplace.referrals.sla import overdue_cutoff, response_due

log = logging.getLogger(__name__)

RESPONSE_OVERDUE = "response_overdue"
SWEEP_BATCH = 1000


def reminder_kind(hours: int) -> str:
    return f"appointment_{hours}h"


def _claim(kind: str, referral_id: int, appointment_id: int | None = None) -> bool:
    """Record that ``kind`` is being sent; False if it already was (someone else sends)."""
    claimed = db.session.execute(
        insert(ReminderSent)
        .values(kind=kind, referral_id=referral_id, appointment_id=appointment_id)
        .on_conflict_do_nothing()
        .returning(ReminderSent.id)
    ).first()
    return claimed is not None


def _reminder_hours() -> tuple[int, ...]:
    return tuple(sorted(current_app.config.get("APPOINTMENT_REMINDER_HOURS", (48, 2))))


def send_appointment_reminder(appointment_id: int, hours: int) -> None:
    """Remind the person of their appointment ``hours`` before it (RQ job)."""
    in_app_context(_remind, appointment_id, hours)


def _remind(appointment_id: int, hours: int, now: datetime | None = None) -> bool:
    now = now or utcnow()
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.SCHEDULED:
        return False
    if appointment.starts_at <= now or appointment.starts_at - timedelta(hours=hours) > now:
        return False
    # A nearer reminder is already due (the worker was down): send only that one.
    if any(
        h < hours and appointment.starts_at - timedelta(hours=h) <= now for h in _reminder_hours()
    ):
        return False
    referral = appointment.referral
    # A failed claim wrote nothing, so there is nothing to roll back.
    if not referral.is_open or not _claim(reminder_kind(hours), referral.id, appointment.id):
        return False
    from marketplace.referrals.services import where_text

    token = person_links.issue_link(referral)
    notices.tell_person(
        referral,
        "appointment_reminder",
        when=describe_time(appointment.starts_at),
        where=where_text(appointment),
        link=notices.absolute_url("person_link.home", token=token),
    )
    commit()
    return True


def schedule_response_nudge(referral: Referral) -> None:
    """Schedule the provider's nudge for when the response to ``referral`` falls due.
    For the code that sends referrals to call; the sweep catches any not scheduled."""
    if referral.sent_at is None:
        return
    due = response_due(referral.sent_at, current_app.config["RESPONSE_WORKING_DAYS"])
    schedule_after_commit(
        nudge_provider, referral.id, at=due, job_id=f"referral-{referral.id}-response-nudge"
    )


def nudge_provider(referral_id: int) -> None:
    """Tell the provider that a referral is past its response target (RQ job)."""
    in_app_context(_nudge, referral_id)


def _nudge(referral_id: int, now: datetime | None = None) -> bool:
    now = now or utcnow()
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.state != ReferralState.SENT or referral.sent_at is None:
        return False
    if referral.sent_at >= overdue_cutoff(now, current_app.config["RESPONSE_WORKING_DAYS"]):
        return False
    if not _claim(RESPONSE_OVERDUE, referral.id):
        return False
    notices.tell_provider(
        referral,
        "response_overdue",
        sent=describe_time(referral.sent_at),
        days=str(current_app.config["RESPONSE_WORKING_DAYS"]),
    )
    commit()
    return True


def due_appointment_reminders(now: datetime) -> list[tuple[int, int]]:
    """(appointment id, hours) for every reminder that is due and not yet sent."""
    due: list[tuple[int, int]] = []
    for hours in _reminder_hours():
        window_end = now + timedelta(hours=hours)
        rows = db.session.scalars(
            select(Appointment.id)
            .where(
                Appointment.status == AppointmentStatus.SCHEDULED,
                Appointment.starts_at > now,
                Appointment.starts_at <= window_end,
                ~exists().where(
                    and_(
                        ReminderSent.appointment_id == Appointment.id,
                        ReminderSent.kind.like("appointment_%"),
                    )
                ),
            )
            .order_by(Appointment.starts_at)
            .limit(SWEEP_BATCH)
        ).all()
        due.extend((appointment_id, hours) for appointment_id in rows)
    # The nearest reminder wins: drop a longer one for an appointment already listed.
    seen: set[int] = set()
    chosen = []
    for appointment_id, hours in due:
        if appointment_id not in seen:
            seen.add(appointment_id)
            chosen.append((appointment_id, hours))
    return chosen


def overdue_unnudged(now: datetime) -> list[int]:
    cutoff = overdue_cutoff(now, current_app.config["RESPONSE_WORKING_DAYS"])
    return list(
        db.session.scalars(
            select(Referral.id)
            .where(
                Referral.state == ReferralState.SENT,
                Referral.sent_at < cutoff,
                ~exists().where(
                    and_(
                        ReminderSent.referral_id == Referral.id,
                        ReminderSent.kind == RESPONSE_OVERDUE,
                    )
                ),
            )
            .order_by(Referral.sent_at)
            .limit(SWEEP_BATCH)
        )
    )


def sweep(now: datetime | None = None) -> dict[str, Any]:
    """Send every reminder and nudge that is due but not sent, then drain the outbox.
    Safe to run at any time and as often as wanted."""
    from marketplace.notifications.jobs import drain_outbox

    now = now or utcnow()
    reminders = sum(_remind(aid, hours, now) for aid, hours in due_appointment_reminders(now))
    nudges = sum(_nudge(referral_id, now) for referral_id in overdue_unnudged(now))
    drained = drain_outbox()
    return {"reminders": reminders, "nudges": nudges, "drained": drained}
