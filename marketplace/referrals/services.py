"""Writes on a referral other than its state: appointments and attendance, the person's
own actions, non-compliance alerts, messages, feedback and replies.

Every function checks the actor, flushes, and leaves the commit to the caller. Refusals
raise the lifecycle errors (TransitionRefused -> 409, InvalidInput -> 422,
NotPermitted -> 403) with a message fit to show.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record
from marketplace.authz import can
from marketplace.database import utcnow
from marketplace.directory.models import Location, Service
from marketplace.extensions import db
from marketplace.jobs import schedule_after_commit
from marketplace.referrals import lifecycle, notices, person_links
from marketplace.referrals.lifecycle import InvalidInput, NotPermitted, TransitionRefused
from marketplace.referrals.models import (
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    ComplianceAlert,
    ComplianceDecision,
    Feedback,
    FeedbackAuthor,
    Message,
    PersonLink,
    Referral,
    ReferralState,
)
from marketplace.referrals.notices import describe_day, describe_time
from marketplace.referrals.ratings import is_valid_rating
from marketplace.referrals.timeline import add_event
from marketplace.vocabulary import label


class AbsenceReason(enum.StrEnum):
    ILLNESS = "illness"
    TRANSPORT = "transport"
    CARING = "caring"
    WORK_OR_TRAINING = "work_or_training"
    IN_CUSTODY = "in_custody"
    OTHER_EXPLAINED = "other_explained"
    UNKNOWN = "unknown"


ABSENCE_LABELS = {
    AbsenceReason.ILLNESS: "Illness",
    AbsenceReason.TRANSPORT: "Transport problems",
    AbsenceReason.CARING: "Caring responsibilities",
    AbsenceReason.WORK_OR_TRAINING: "Work or training",
    AbsenceReason.IN_CUSTODY: "In custody",
    AbsenceReason.OTHER_EXPLAINED: "Another reason they explained",
    AbsenceReason.UNKNOWN: "No reason given (unexplained)",
}

ATTENDANCE_CHOICES = (
    AppointmentStatus.ATTENDED,
    AppointmentStatus.LATE,
    AppointmentStatus.DID_NOT_ATTEND,
)

DECISION_LABELS = {
    ComplianceDecision.WARNING: "Warning given",
    ComplianceDecision.REARRANGED: "Appointments re-arranged",
    ComplianceDecision.BREACH_REPORTED: "Breach reported",
}

BOOKABLE_STATES = (ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)


def _require(actor: User, permission: str, referral: Referral) -> None:
    if not can(actor, permission, referral):
        raise NotPermitted("You do not have permission to do that.")


def _lock_appointment(appointment: Appointment) -> Appointment:
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _check_booking(
    referral: Referral,
    starts_at: datetime,
    duration_minutes: int,
    mode: str,
    location_id: int | None,
) -> Location | None:
    if referral.state not in BOOKABLE_STATES:
        raise TransitionRefused(
            f"Referral {referral.reference} is {label(referral.state).lower()}: "
            "appointments can be booked once it is accepted and until it closes."
        )
    if starts_at.tzinfo is None:
        raise InvalidInput("Enter a date and time with a time zone", field="starts_at")
    if starts_at <= utcnow():
        raise InvalidInput("The appointment must be in the future", field="starts_at")
    if not 0 < duration_minutes <= 480:
        raise InvalidInput("Length must be between 1 and 480 minutes", field="duration_minutes")
    if mode not in {m.value for m in AppointmentMode}:
        raise InvalidInput("Select how the appointment happens", field="mode")
    if mode != AppointmentMode.IN_PERSON:
        return None
    location = db.session.get(Location, location_id) if location_id else None
    if location is None or location.organisation_id != referral.organisation_id:
        raise InvalidInput("Select where the appointment is", field="location_id")
    return location


def _schedule_reminders(appointment: Appointment) -> None:
    from marketplace.referrals.jobs import send_appointment_reminder

    for hours in current_app.config.get("APPOINTMENT_REMINDER_HOURS", (48, 2)):
        at = appointment.starts_at - timedelta(hours=hours)
        if at > utcnow():
            schedule_after_commit(
                send_appointment_reminder,
                appointment.id,
                hours,
                at=at,
                job_id=f"appointment-{appointment.id}-reminder-{hours}h",
            )


def _tell_person_about(appointment: Appointment, template: str, **extra: str) -> None:
    referral = appointment.referral
    token = person_links.issue_link(referral)
    notices.tell_person(
        referral,
        template,
        when=describe_time(appointment.starts_at),
        where=where_text(appointment),
        link=notices.absolute_url("person_link.home", token=token),
        **extra,
    )


def where_text(appointment: Appointment) -> str:
    """Where the appointment happens, in words (a hidden location shows only its name)."""
    if appointment.mode == AppointmentMode.REMOTE:
        return "Online" + (f": {appointment.remote_details}" if appointment.remote_details else "")
    if appointment.mode == AppointmentMode.PHONE:
        return "By phone" + (
            f": {appointment.remote_details}" if appointment.remote_details else ""
        )
    location = appointment.location
    if location is None:
        return "In person"
    if location.hidden:
        return location.name
    parts = [location.name, location.address_line_1, location.town, location.postcode]
    return ", ".join(part for part in parts if part)


def book_appointment(
    referral: Referral,
    actor: User,
    *,
    starts_at: datetime,
    mode: str,
    duration_minutes: int = 60,
    location_id: int | None = None,
    remote_details: str | None = None,
    replaces: Appointment | None = None,
) -> Appointment:
    """Book an appointment on an accepted or in-progress referral, tell the person (with
    their link) and schedule their reminders."""
    _require(actor, "appointment:manage", referral)
    lifecycle.lock(referral)
    location = _check_booking(referral, starts_at, duration_minutes, mode, location_id)
    appointment = Appointment(
        referral=referral,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode=AppointmentMode(mode),
        location=location,
        remote_details=(remote_details or "").strip() or None,
        booked_by_id=actor.id,
        replaces_id=replaces.id if replaces else None,
    )
    db.session.add(appointment)
    db.session.flush()
    verb = "Rescheduled" if replaces else "Appointment booked"
    add_event(
        referral,
        "appointment_rescheduled" if replaces else "appointment_booked",
        f"{verb} for {describe_time(starts_at)} ({where_text(appointment)}) by {actor.name}",
        actor=actor,
        appointment_id=appointment.id,
        replaces_id=replaces.id if replaces else None,
    )
    record(
        "appointment_rescheduled" if replaces else "appointment_booked",
        appointment,
        actor=actor,
        referral_id=referral.id,
    )
    _tell_person_about(appointment, "appointment_rescheduled" if replaces else "appointment_booked")
    _schedule_reminders(appointment)
    return appointment


def reschedule_appointment(
    appointment: Appointment,
    actor: User,
    *,
    starts_at: datetime,
    mode: str | None = None,
    duration_minutes: int | None = None,
    location_id: int | None = None,
    remote_details: str | None = None,
) -> Appointment:
    """Move a scheduled appointment: the old one is kept as rescheduled and a new one is
    booked in its place. Returns the new appointment."""
    referral = appointment.referral
    _require(actor, "appointment:manage", referral)
    _lock_appointment(appointment)
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise TransitionRefused(
            f"This appointment is {label(appointment.status).lower()}, so it cannot be rescheduled."
        )
    appointment.status = AppointmentStatus.RESCHEDULED
    return book_appointment(
        referral,
        actor,
        starts_at=starts_at,
        mode=mode or appointment.mode.value,
        duration_minutes=duration_minutes or appointment.duration_minutes,
        location_id=location_id if location_id is not None else appointment.location_id,
        remote_details=remote_details if remote_details is not None else appointment.remote_details,
        replaces=appointment,
    )


def cancel_appointment(appointment: Appointment, actor: User, reason: str = "") -> Appointment:
    """Cancel a scheduled appointment and tell the person."""
    referral = appointment.referral
    _require(actor, "appointment:manage", referral)
    _lock_appointment(appointment)
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise TransitionRefused(
            f"This appointment is {label(appointment.status).lower()}, so it cannot be cancelled."
        )
    appointment.status = AppointmentStatus.CANCELLED
    add_event(
        referral,
        "appointment_cancelled",
        f"Appointment on {describe_time(appointment.starts_at)} cancelled by {actor.name}"
        + (f": {reason.strip()}" if reason.strip() else ""),
        actor=actor,
        appointment_id=appointment.id,
    )
    record("appointment_cancelled", appointment, actor=actor, reason=reason.strip())
    notices.tell_person(
        referral, "appointment_cancelled", when=describe_time(appointment.starts_at)
    )
    db.session.flush()
    return appointment


def _check_attendance(status: str, absence_reason: str | None) -> bool:
    """Refuse an attendance that is not one of the choices, or an absence without a
    reason; returns whether it is an absence."""
    if status not in {s.value for s in ATTENDANCE_CHOICES}:
        raise InvalidInput("Select whether the person attended", field="status")
    did_not_attend = status == AppointmentStatus.DID_NOT_ATTEND
    if did_not_attend and absence_reason not in {r.value for r in AbsenceReason}:
        raise InvalidInput("Select why the person did not attend", field="absence_reason")
    return did_not_attend


def record_attendance(
    appointment: Appointment,
    actor: User,
    *,
    status: str,
    absence_reason: str | None = None,
    notes: str = "",
) -> Appointment:
    """Record whether the person came. The first attendance starts an accepted referral;
    an unexplained absence tells the referrer and may raise a non-compliance alert."""
    referral = appointment.referral
    _require(actor, "appointment:manage", referral)
    did_not_attend = _check_attendance(status, absence_reason)
    lifecycle.lock(referral)
    _lock_appointment(appointment)
    if referral.state not in BOOKABLE_STATES:
        raise TransitionRefused(
            f"Referral {referral.reference} is {label(referral.state).lower()}, "
            "so attendance cannot be recorded."
        )
    if appointment.attendance_recorded:
        raise TransitionRefused("Attendance for this appointment has already been recorded.")
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise TransitionRefused(
            f"This appointment was {label(appointment.status).lower()}, "
            "so there is no attendance to record."
        )
    if appointment.starts_at > utcnow():
        raise TransitionRefused(
            "This appointment has not started yet: record attendance on or after "
            f"{describe_time(appointment.starts_at)}."
        )

    appointment.status = AppointmentStatus(status)
    appointment.absence_reason = absence_reason if did_not_attend else None
    appointment.absence_explained = bool(did_not_attend and absence_reason != AbsenceReason.UNKNOWN)
    appointment.engagement_notes = notes.strip() or None
    appointment.recorded_by_id = actor.id
    appointment.recorded_at = utcnow()
    attended = not did_not_attend
    db.session.execute(
        update(Service)
        .where(Service.id == referral.service_id)
        .values(
            appointments_booked=Service.appointments_booked + 1,
            appointments_attended=Service.appointments_attended + (1 if attended else 0),
        )
    )
    summary = f"{label(status)} on {describe_time(appointment.starts_at)}"
    if did_not_attend:
        summary += (
            f" ({ABSENCE_LABELS[AbsenceReason(absence_reason or AbsenceReason.UNKNOWN)].lower()})"
        )
    add_event(
        referral,
        "attendance",
        f"{summary}, recorded by {actor.name}",
        actor=actor,
        appointment_id=appointment.id,
        status=status,
        absence_reason=absence_reason,
    )
    record("attendance_recorded", appointment, actor=actor, status=status)
    if attended and referral.state == ReferralState.ACCEPTED:
        lifecycle.start(referral, actor)
    if did_not_attend:
        notices.tell_referrer(
            referral,
            "did_not_attend",
            when=describe_time(appointment.starts_at),
            reason=ABSENCE_LABELS[AbsenceReason(absence_reason or AbsenceReason.UNKNOWN)],
        )
        _check_breach(referral)
    db.session.flush()
    return appointment


CORRECTION_REASON_MAX = 1000


def attendance_words(status: AppointmentStatus | str, absence_reason: str | None) -> str:
    """A recorded attendance in words, as the timeline and notices say it: "attended",
    "attended, but late", "did not attend (illness)", "did not attend, unexplained"."""
    if status == AppointmentStatus.ATTENDED:
        return "attended"
    if status == AppointmentStatus.LATE:
        return "attended, but late"
    if absence_reason in (None, AbsenceReason.UNKNOWN):
        return "did not attend, unexplained"
    return f"did not attend ({ABSENCE_LABELS[AbsenceReason(absence_reason)].lower()})"


def _is_unexplained_absence(status: str, absence_reason: str | None) -> bool:
    return status == AppointmentStatus.DID_NOT_ATTEND and absence_reason in (
        None,
        AbsenceReason.UNKNOWN,
    )


def correction_refused(referral: Referral, appointment: Appointment) -> str | None:
    """Why the attendance of ``appointment`` cannot be corrected now, or None if it can."""
    if referral.state not in BOOKABLE_STATES:
        return (
            f"Referral {referral.reference} is {label(referral.state).lower()}: attendance "
            "can be corrected only while a referral is accepted or in progress."
        )
    if not appointment.attendance_recorded:
        return (
            "Attendance has not been recorded for this appointment, so there is nothing "
            "to correct. Record the attendance instead."
        )
    return None


def correct_attendance(
    appointment: Appointment,
    actor: User,
    *,
    status: str,
    absence_reason: str | None = None,
    reason: str,
) -> Appointment:
    """Correct an attendance recorded wrongly, while the referral is open (accepted or in
    progress), saying why. The original is never lost: the first recording stays on the
    timeline, and the correction adds a timeline event and an audit event that say
    "changed from X to Y by NAME: reason".

    The rules:

    * the service's attendance counter (``appointments_attended``) moves by the difference
      (booked appointments are unchanged: the appointment was recorded either way);
    * turning an unexplained absence into attended, late or an explained absence re-counts
      the unexplained absences. An undecided alert whose count falls below
      ``BREACH_UNEXPLAINED_ABSENCES`` is withdrawn (no longer open anywhere) and the
      referrer is told; one still at or above it keeps counting the rest. A decided alert
      stays as it is, and the referrer is told of the correction so they can review their
      decision;
    * turning an attendance into an unexplained absence runs the same breach check as
      recording one;
    * the referral's state never moves backwards: a first attendance started it and told
      everyone so, and a correction leaves it in progress. (A correction that makes the
      first attendance starts an accepted referral, as recording it would.)
    * the referrer is told of every correction.

    Raises NotPermitted (403) for anyone but the provider's staff, InvalidInput (422) for
    a bad choice, a missing reason or a correction that changes nothing, and
    TransitionRefused (409) when nothing has been recorded yet or the referral is closed.
    """
    referral = appointment.referral
    _require(actor, "appointment:manage", referral)
    did_not_attend = _check_attendance(status, absence_reason)
    absence_reason = absence_reason if did_not_attend else None
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Enter why you are correcting the attendance", field="reason")
    if len(reason) > CORRECTION_REASON_MAX:
        raise InvalidInput(
            f"Reason must be {CORRECTION_REASON_MAX} characters or fewer", field="reason"
        )
    lifecycle.lock(referral)
    _lock_appointment(appointment)
    refusal = correction_refused(referral, appointment)
    if refusal is not None:
        raise TransitionRefused(refusal)
    old_status, old_reason = appointment.status, appointment.absence_reason
    if old_status == status and old_reason == absence_reason:
        raise InvalidInput(
            f"The attendance is already recorded as {attendance_words(status, absence_reason)}: "
            "choose what it should be",
            field="status",
        )

    before = attendance_words(old_status, old_reason)
    after = attendance_words(status, absence_reason)
    was_attended = old_status != AppointmentStatus.DID_NOT_ATTEND
    attended = not did_not_attend
    appointment.status = AppointmentStatus(status)
    appointment.absence_reason = absence_reason
    appointment.absence_explained = bool(did_not_attend and absence_reason != AbsenceReason.UNKNOWN)
    if attended != was_attended:
        db.session.execute(
            update(Service)
            .where(Service.id == referral.service_id)
            .values(appointments_attended=Service.appointments_attended + (1 if attended else -1))
        )
    when = describe_time(appointment.starts_at)
    summary = f"Attendance on {when} changed from {before} to {after} by {actor.name}: {reason}"
    add_event(
        referral,
        "attendance_corrected",
        summary,
        actor=actor,
        appointment_id=appointment.id,
        from_status=old_status.value,
        from_absence_reason=old_reason,
        status=status,
        absence_reason=absence_reason,
        reason=reason,
    )
    record(
        "attendance_corrected",
        appointment,
        actor=actor,
        referral_id=referral.id,
        from_status=old_status.value,
        from_absence_reason=old_reason,
        status=status,
        absence_reason=absence_reason,
        reason=reason,
        summary=summary,
    )
    db.session.flush()
    if attended and referral.state == ReferralState.ACCEPTED:
        lifecycle.start(referral, actor)

    correction = {"when": when, "before": before, "after": after, "reason": reason}
    excused = _is_unexplained_absence(old_status, old_reason) and not _is_unexplained_absence(
        status, absence_reason
    )
    if excused and _recount_open_alert(referral, actor, summary, correction):
        return appointment  # the referrer was told with the withdrawal
    notices.tell_referrer(
        referral,
        "attendance_corrected",
        actor=actor.name,
        # A decision taken on the absence now corrected away may need reviewing.
        decided=_decided_alert_text(referral) if excused else "",
        **correction,
    )
    if _is_unexplained_absence(status, absence_reason):
        _check_breach(referral)
    db.session.flush()
    return appointment


def _recount_open_alert(
    referral: Referral, actor: User, summary: str, correction: dict[str, str]
) -> bool:
    """After an unexplained absence was corrected away: withdraw the open alert if the
    unexplained absences are now below the threshold (True: the referrer has been told),
    or lower its count if not. A decided alert is left alone."""
    alert = db.session.scalar(
        select(ComplianceAlert)
        .where(
            ComplianceAlert.referral_id == referral.id,
            ComplianceAlert.decision.is_(None),
            ComplianceAlert.withdrawn_at.is_(None),
        )
        .order_by(ComplianceAlert.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if alert is None:
        return False
    missed = unexplained_absences(referral)
    if missed >= int(current_app.config.get("BREACH_UNEXPLAINED_ABSENCES", 2)):
        alert.missed_count = missed
        return False
    alert.withdrawn_at = utcnow()
    alert.withdrawn_reason = summary
    add_event(
        referral,
        "compliance_alert_withdrawn",
        f"Non-compliance alert withdrawn: {missed} unexplained missed "
        f"appointment{'' if missed == 1 else 's'} after the attendance was corrected",
        actor=actor,
        alert_id=alert.id,
    )
    record("compliance_alert_withdrawn", alert, actor=actor, missed_count=missed, reason=summary)
    notices.tell_referrer(
        referral,
        "compliance_alert_withdrawn",
        actor=actor.name,
        missed=str(missed),
        **correction,
    )
    return True


def _decided_alert_text(referral: Referral) -> str:
    """The referrer's latest decision on an alert for this referral, in words ("Warning
    given on 3 March 2026"), or "" when there is none."""
    alert = db.session.scalar(
        select(ComplianceAlert)
        .where(ComplianceAlert.referral_id == referral.id, ComplianceAlert.decision.is_not(None))
        .order_by(ComplianceAlert.id.desc())
        .limit(1)
    )
    if alert is None or alert.decision is None:
        return ""
    decided = f" on {describe_day(alert.decided_at)}" if alert.decided_at else ""
    return DECISION_LABELS[alert.decision] + decided


def unexplained_absences(referral: Referral) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.referral_id == referral.id,
                Appointment.status == AppointmentStatus.DID_NOT_ATTEND,
                Appointment.absence_explained.is_(False),
            )
        )
        or 0
    )


def _check_breach(referral: Referral) -> ComplianceAlert | None:
    """Raise (or update) a non-compliance alert once unexplained absences reach the
    threshold. One undecided alert per referral at a time; after a decision, the next
    unexplained absence raises a new one. Withdrawn alerts are ignored: reaching the
    threshold again after one was withdrawn raises a new alert."""
    threshold = int(current_app.config.get("BREACH_UNEXPLAINED_ABSENCES", 2))
    missed = unexplained_absences(referral)
    if missed < threshold:
        return None
    latest = db.session.scalar(
        select(ComplianceAlert)
        .where(ComplianceAlert.referral_id == referral.id, ComplianceAlert.withdrawn_at.is_(None))
        .order_by(ComplianceAlert.id.desc())
        .limit(1)
    )
    if latest is not None and latest.decision is None:
        latest.missed_count = missed
        return latest
    if latest is not None and latest.missed_count >= missed:
        return None
    alert = ComplianceAlert(referral=referral, missed_count=missed)
    db.session.add(alert)
    db.session.flush()
    add_event(
        referral,
        "compliance_alert",
        f"Non-compliance alert: {missed} unexplained missed appointments",
        alert_id=alert.id,
    )
    record("compliance_alert_raised", alert, missed_count=missed)
    notices.tell_referrer(referral, "compliance_alert", missed=str(missed))
    return alert


def decide_compliance(
    alert: ComplianceAlert, actor: User, decision: str, notes: str = ""
) -> ComplianceAlert:
    """The referrer records what they did about a non-compliance alert (once)."""
    referral = alert.referral
    _require(actor, "compliance:decide", referral)
    if decision not in {d.value for d in ComplianceDecision}:
        raise InvalidInput("Select what you decided", field="decision")
    db.session.refresh(alert, with_for_update=True)
    if alert.decision is not None:
        raise TransitionRefused("A decision has already been recorded for this alert.")
    if alert.withdrawn_at is not None:
        raise TransitionRefused(
            "This alert was withdrawn after the provider corrected the attendance: "
            "no decision is needed."
        )
    alert.decision = ComplianceDecision(decision)
    alert.decision_notes = notes.strip() or None
    alert.decided_by_id = actor.id
    alert.decided_at = utcnow()
    add_event(
        referral,
        "compliance_decision",
        f"Non-compliance decision: {DECISION_LABELS[alert.decision]}, by {actor.name}",
        actor=actor,
        alert_id=alert.id,
        decision=decision,
    )
    record("compliance_decided", alert, actor=actor, decision=decision)
    notices.tell_provider(referral, "compliance_decision", decision=DECISION_LABELS[alert.decision])
    db.session.flush()
    return alert


MESSAGE_MAX = 5000


def post_message(referral: Referral, actor: User, body: str) -> Message:
    """Add to the thread between referrer and provider and tell the other side."""
    _require(actor, "referral:message", referral)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Enter a message", field="body")
    if len(body) > MESSAGE_MAX:
        raise InvalidInput(f"Message must be {MESSAGE_MAX} characters or fewer", field="body")
    message = Message(referral_id=referral.id, author_id=actor.id, body=body)
    db.session.add(message)
    db.session.flush()
    add_event(referral, "message", f"Message from {actor.name}", actor=actor, message_id=message.id)
    record("referral_message", referral, actor=actor, message_id=message.id)
    if actor.role == Role.REFERRER:
        notices.tell_provider(referral, "referral_message", actor=actor.name)
    else:
        notices.tell_referrer(referral, "referral_message", actor=actor.name)
    return message


# Whose ratings count towards the service's rating: the people who used or chose it.
RATING_AUTHORS = (FeedbackAuthor.REFERRER, FeedbackAuthor.PERSON)


def feedback_from(referral: Referral, author_kind: FeedbackAuthor) -> Feedback | None:
    return db.session.scalar(
        select(Feedback).where(
            Feedback.referral_id == referral.id,
            Feedback.author_kind == author_kind,
            Feedback.appointment_id.is_(None),
        )
    )


def author_kind_of(user: User) -> FeedbackAuthor:
    return FeedbackAuthor.REFERRER if user.role == Role.REFERRER else FeedbackAuthor.PROVIDER


def give_feedback(
    referral: Referral,
    *,
    rating: object,
    comments: str = "",
    shared: bool = False,
    actor: User | None = None,
    author_kind: FeedbackAuthor | None = None,
) -> Feedback:
    """One side's end-of-service rating (1-5) and comments, once per side.

    ``actor`` is the signed-in referrer or provider; the person referred gives feedback
    through their link with ``actor=None`` and ``author_kind=PERSON``. Referrer and person
    ratings count towards the service's rating; the provider's rates the referral.

    ``shared`` is the author's opt-in to show the comment on the service's page (to
    signed-in referrers and providers, never with who wrote it). Only referrers and the
    person referred can share, and only a comment: raises InvalidInput otherwise.
    """
    if actor is not None:
        _require(actor, "feedback:give", referral)
        author_kind = author_kind_of(actor)
    if author_kind is None:
        raise NotPermitted("You do not have permission to do that.")
    if not is_valid_rating(rating):
        raise InvalidInput("Rating must be a whole number from 1 to 5", field="rating")
    comments = (comments or "").strip()
    if shared and author_kind not in RATING_AUTHORS:
        raise InvalidInput(
            "Only referrers and the people referred can share comments on the service's page",
            field="shared",
        )
    if shared and not comments:
        raise InvalidInput("Enter a comment to share it on the service's page", field="comments")
    if referral.state != ReferralState.COMPLETED:
        raise TransitionRefused("Feedback can be given once the referral has been completed.")
    if feedback_from(referral, author_kind) is not None:
        raise TransitionRefused("Feedback has already been given for this referral.")
    feedback = Feedback(
        referral_id=referral.id,
        service_id=referral.service_id,
        author_kind=author_kind,
        author_id=actor.id if actor else None,
        rating=int(rating),  # type: ignore[call-overload]
        comments=comments,
        shared=bool(shared),
    )
    try:
        with db.session.begin_nested():
            db.session.add(feedback)
    except IntegrityError:
        raise TransitionRefused("Feedback has already been given for this referral.") from None
    if author_kind in RATING_AUTHORS:
        db.session.execute(
            update(Service)
            .where(Service.id == referral.service_id)
            .values(
                rating_sum=Service.rating_sum + feedback.rating,
                rating_count=Service.rating_count + 1,
            )
        )
        db.session.expire(referral.service, ["rating_sum", "rating_count"])
    who = actor.name if actor else "the person referred"
    add_event(
        referral,
        "feedback",
        f"Feedback from {who}: {feedback.rating} out of 5",
        actor=actor,
        actor_kind_override="person" if actor is None else None,
        feedback_id=feedback.id,
        rating=feedback.rating,
    )
    record(
        "feedback_given",
        feedback,
        actor=actor,
        author_kind=author_kind.value,
        shared=feedback.shared,
    )
    if author_kind == FeedbackAuthor.PERSON:
        person_links.use_up(referral)
    return feedback


REPLY_MAX = 2000


def reply_to_feedback(feedback: Feedback, actor: User, reply: str) -> Feedback:
    """The provider's one reply to a rating. It is public: shown beneath a shared comment
    on the service's page (and with the referral to both sides)."""
    referral = feedback.referral
    _require(actor, "feedback:reply", referral)
    reply = (reply or "").strip()
    if not reply:
        raise InvalidInput("Enter your reply", field="reply")
    if len(reply) > REPLY_MAX:
        raise InvalidInput(f"Reply must be {REPLY_MAX} characters or fewer", field="reply")
    db.session.refresh(feedback, with_for_update=True)
    if feedback.provider_reply is not None:
        raise TransitionRefused("You have already replied to this feedback.")
    feedback.provider_reply = reply
    feedback.replied_at = utcnow()
    add_event(referral, "feedback_reply", f"Reply to feedback by {actor.name}", actor=actor)
    record("feedback_replied", feedback, actor=actor)
    db.session.flush()
    return feedback


HIDE_REASON_MAX = 1000


def hide_feedback(feedback: Feedback, actor: User, reason: str) -> Feedback:
    """A platform admin takes a shared comment (and the provider's reply beneath it) off
    the service's page, with a reason. Nothing is deleted: the row keeps the comment, who
    hid it, when and why, and the audit log records it. Raises TransitionRefused for a
    comment that is not shared or already hidden, InvalidInput without a reason."""
    if not can(actor, "feedback:moderate"):
        raise NotPermitted("You do not have permission to do that.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Enter why you are hiding this comment", field="reason")
    if len(reason) > HIDE_REASON_MAX:
        raise InvalidInput(f"Reason must be {HIDE_REASON_MAX} characters or fewer", field="reason")
    db.session.refresh(feedback, with_for_update=True)
    if not feedback.shared:
        raise TransitionRefused("This comment is not shared on the service's page.")
    if feedback.hidden_at is not None:
        raise TransitionRefused("This comment has already been hidden.")
    feedback.hidden_at = utcnow()
    feedback.hidden_by_id = actor.id
    feedback.hidden_reason = reason
    record("feedback_hidden", feedback, actor=actor, reason=reason)
    db.session.flush()
    return feedback


def show_feedback_again(feedback: Feedback, actor: User) -> Feedback:
    """A platform admin puts back a comment hidden by mistake: it and its reply return to
    the service's page. Who hid it and why stay in the audit log (the hide's own event),
    and this event repeats the reason it was hidden for. Raises TransitionRefused for a
    comment that is not hidden."""
    if not can(actor, "feedback:moderate"):
        raise NotPermitted("You do not have permission to do that.")
    db.session.refresh(feedback, with_for_update=True)
    if not feedback.shared or feedback.hidden_at is None:
        raise TransitionRefused("This comment is not hidden.")
    record("feedback_shown_again", feedback, actor=actor, hidden_reason=feedback.hidden_reason)
    feedback.hidden_at = None
    feedback.hidden_by_id = None
    feedback.hidden_reason = None
    db.session.flush()
    return feedback


# The person's own actions, through their tokenised link.


def _person_appointment(link: PersonLink, appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.referral_id != link.referral_id:
        raise InvalidInput("That appointment is not part of this referral", field="appointment")
    return appointment


def _require_scheduled(appointment: Appointment, doing: str) -> None:
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise TransitionRefused(
            f"This appointment is {label(appointment.status).lower()}, so you cannot {doing} it."
        )


def person_confirm(link: PersonLink, appointment_id: int) -> Appointment:
    """The person says they will come."""
    appointment = _person_appointment(link, appointment_id)
    _require_scheduled(appointment, "confirm")
    if appointment.person_confirmed_at is None:
        appointment.person_confirmed_at = utcnow()
        add_event(
            appointment.referral,
            "person_confirmed",
            f"The person confirmed the appointment on {describe_time(appointment.starts_at)}",
            actor_kind_override="person",
            appointment_id=appointment.id,
        )
        db.session.flush()
    return appointment


def person_request_rearrange(link: PersonLink, appointment_id: int, note: str) -> Appointment:
    """The person asks for another time; the provider is told."""
    appointment = _person_appointment(link, appointment_id)
    _require_scheduled(appointment, "rearrange")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Tell us when you could come instead", field="note")
    if len(note) > 1000:
        raise InvalidInput("Your message must be 1000 characters or fewer", field="note")
    appointment.rearrange_requested_at = utcnow()
    appointment.rearrange_note = note
    add_event(
        appointment.referral,
        "person_asked_to_rearrange",
        f"The person asked to rearrange the appointment on {describe_time(appointment.starts_at)}",
        actor_kind_override="person",
        appointment_id=appointment.id,
    )
    notices.tell_provider(
        appointment.referral, "rearrange_requested", when=describe_time(appointment.starts_at)
    )
    db.session.flush()
    return appointment


def check_in_window(appointment: Appointment) -> tuple[datetime, datetime]:
    """When the person may check in: from a while before the start until it ends."""
    opens = appointment.starts_at - timedelta(
        minutes=int(current_app.config.get("CHECK_IN_OPENS_MINUTES", 120))
    )
    closes = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
    return opens, closes


def person_check_in(link: PersonLink, appointment_id: int) -> Appointment:
    """The person says they have arrived (only on the day, around the appointment time)."""
    appointment = _person_appointment(link, appointment_id)
    _require_scheduled(appointment, "check in to")
    opens, closes = check_in_window(appointment)
    now = utcnow()
    if now < opens:
        raise TransitionRefused(
            f"You can check in from {describe_time(opens)}, on the day of your appointment."
        )
    if now > closes:
        raise TransitionRefused("This appointment has ended, so you can no longer check in.")
    if appointment.person_checked_in_at is None:
        appointment.person_checked_in_at = now
        add_event(
            appointment.referral,
            "person_checked_in",
            f"The person checked in for the appointment on {describe_time(appointment.starts_at)}",
            actor_kind_override="person",
            appointment_id=appointment.id,
        )
        db.session.flush()
    return appointment
