"""The referral lifecycle API: ``POST /api/v1/referrals/<id>/accept`` and friends,
appointments, attendance, messages and feedback.

The same lifecycle and service functions as the pages, so the same checks: a referral
the caller may not see is a 404, an action their role does not have is a 403, an action
that does not fit the referral's state is a 409, and invalid values are a 422 — always
as ``{"errors": [{"field": ..., "message": ...}]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from marketplace.api.errors import BEARER_AUTH, documented_errors
from marketplace.authz import get_or_404, requires
from marketplace.errors import json_error
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.referrals import lifecycle, services
from marketplace.referrals.lifecycle import LifecycleError
from marketplace.referrals.models import Appointment, Referral
from marketplace.referrals.schemas import (
    AppointmentSchema,
    AttendanceCorrectionSchema,
    AttendanceSchema,
    CancelAppointmentSchema,
    CancelSchema,
    CompleteSchema,
    DeclineSchema,
    FeedbackSchema,
    MessageSchema,
    ReferralStateSchema,
    RescheduleSchema,
    WithdrawSchema,
)

blueprint = Blueprint(
    "referral-lifecycle",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Respond to referrals, book appointments, record attendance, give feedback.",
)

ERRORS = {
    403: "Your role may not take this action",
    404: "No such referral, or you may not see it",
    409: "The action does not fit the referral's current state",
    422: "Invalid values",
}


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _run(action: Callable[[], Any]) -> Any:
    """Run a lifecycle or service action and commit, or answer its refusal as JSON."""
    try:
        result = action()
    except LifecycleError as error:
        db.session.rollback()
        return json_error(error.status, error.message, field=error.field)
    commit()
    return result


def _documented(func: Callable[..., Any]) -> Callable[..., Any]:
    """Document the errors every lifecycle operation can answer, and its bearer token."""
    func = documented_errors(blueprint, 401, *ERRORS, descriptions=ERRORS)(func)
    return blueprint.doc(security=BEARER_AUTH)(func)


def _documented_with_body(func: Callable[..., Any]) -> Callable[..., Any]:
    """As ``_documented``, for an operation that reads a JSON body (which may not parse)."""
    return documented_errors(blueprint, 400)(_documented(func))


def _transition(referral_id: int, permission: str, action: Callable[[Referral], Any]) -> Any:
    referral = get_or_404(Referral, referral_id, permission)
    return _run(lambda: action(referral))


@blueprint.route("/<int:referral_id>/accept", methods=["POST"])
@requires("referral:respond")
@blueprint.response(200, ReferralStateSchema)
@_documented
def accept(referral_id: int) -> Any:
    """Accept a referral that is waiting for a response."""
    return _transition(referral_id, "referral:respond", lambda r: lifecycle.accept(r, _user()))


@blueprint.route("/<int:referral_id>/decline", methods=["POST"])
@requires("referral:respond")
@blueprint.arguments(DeclineSchema)
@blueprint.response(200, ReferralStateSchema)
@_documented_with_body
def decline(body: dict[str, Any], referral_id: int) -> Any:
    """Decline a referral with a reason code (and text when the code is ``other``)."""
    return _transition(
        referral_id,
        "referral:respond",
        lambda r: lifecycle.decline(r, _user(), body["reason_code"], body["reason"]),
    )


@blueprint.route("/<int:referral_id>/withdraw", methods=["POST"])
@requires("referral:withdraw")
@blueprint.arguments(WithdrawSchema)
@blueprint.response(200, ReferralStateSchema)
@_documented_with_body
def withdraw(body: dict[str, Any], referral_id: int) -> Any:
    """The referrer withdraws an open referral."""
    return _transition(
        referral_id,
        "referral:withdraw",
        lambda r: lifecycle.withdraw(r, _user(), body["reason_code"], body["reason"]),
    )


@blueprint.route("/<int:referral_id>/cancel", methods=["POST"])
@requires("referral:respond")
@blueprint.arguments(CancelSchema)
@blueprint.response(200, ReferralStateSchema)
@_documented_with_body
def cancel(body: dict[str, Any], referral_id: int) -> Any:
    """The provider cancels an open referral."""
    return _transition(
        referral_id,
        "referral:respond",
        lambda r: lifecycle.cancel(r, _user(), body["reason_code"], body["reason"]),
    )


@blueprint.route("/<int:referral_id>/start", methods=["POST"])
@requires("appointment:manage")
@blueprint.response(200, ReferralStateSchema)
@_documented
def start(referral_id: int) -> Any:
    """Mark an accepted referral as in progress (recording a first attendance does this)."""
    return _transition(referral_id, "appointment:manage", lambda r: lifecycle.start(r, _user()))


@blueprint.route("/<int:referral_id>/complete", methods=["POST"])
@requires("referral:respond")
@blueprint.arguments(CompleteSchema)
@blueprint.response(200, ReferralStateSchema)
@_documented_with_body
def complete(body: dict[str, Any], referral_id: int) -> Any:
    """Complete an in-progress referral with its end-of-service outcome."""
    return _transition(
        referral_id,
        "referral:respond",
        lambda r: lifecycle.complete(r, _user(), body["outcome"], body["notes"]),
    )


@blueprint.route("/<int:referral_id>/appointments", methods=["GET"])
@requires("referral:view")
@blueprint.response(200, AppointmentSchema(many=True))
@blueprint.doc(security=BEARER_AUTH)
@documented_errors(blueprint, 401, 403, 404, descriptions=ERRORS)
def list_appointments(referral_id: int) -> Any:
    """Every appointment of a referral, in time order (rescheduled ones included)."""
    return get_or_404(Referral, referral_id, "referral:view").appointments


@blueprint.route("/<int:referral_id>/appointments", methods=["POST"])
@requires("appointment:manage")
@blueprint.arguments(AppointmentSchema)
@blueprint.response(201, AppointmentSchema)
@_documented_with_body
def book_appointment(body: dict[str, Any], referral_id: int) -> Any:
    """Book an appointment (``starts_at`` with a time zone; a location for in person)."""
    return _transition(
        referral_id,
        "appointment:manage",
        lambda r: services.book_appointment(r, _user(), **body),
    )


def _appointment(referral_id: int, appointment_id: int) -> Appointment:
    referral = get_or_404(Referral, referral_id, "appointment:manage")
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.referral_id != referral.id:
        abort(404)
    return appointment


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/reschedule", methods=["POST"]
)
@requires("appointment:manage")
@blueprint.arguments(RescheduleSchema)
@blueprint.response(201, AppointmentSchema)
@_documented_with_body
def reschedule_appointment(body: dict[str, Any], referral_id: int, appointment_id: int) -> Any:
    """Move a scheduled appointment; answers the new appointment."""
    appointment = _appointment(referral_id, appointment_id)
    return _run(lambda: services.reschedule_appointment(appointment, _user(), **body))


@blueprint.route("/<int:referral_id>/appointments/<int:appointment_id>/cancel", methods=["POST"])
@requires("appointment:manage")
@blueprint.arguments(CancelAppointmentSchema)
@blueprint.response(200, AppointmentSchema)
@_documented_with_body
def cancel_appointment(body: dict[str, Any], referral_id: int, appointment_id: int) -> Any:
    """Cancel a scheduled appointment."""
    appointment = _appointment(referral_id, appointment_id)
    return _run(lambda: services.cancel_appointment(appointment, _user(), body["reason"]))


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/attendance", methods=["POST"]
)
@requires("appointment:manage")
@blueprint.arguments(AttendanceSchema)
@blueprint.response(200, AppointmentSchema)
@_documented_with_body
def record_attendance(body: dict[str, Any], referral_id: int, appointment_id: int) -> Any:
    """Record attendance for an appointment that has started: attended, late or
    did_not_attend (with an absence reason)."""
    appointment = _appointment(referral_id, appointment_id)
    return _run(
        lambda: services.record_attendance(
            appointment,
            _user(),
            status=body["status"],
            absence_reason=body["absence_reason"],
            notes=body["notes"],
        )
    )


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/attendance/correction",
    methods=["POST"],
)
@requires("appointment:manage")
@blueprint.arguments(AttendanceCorrectionSchema)
@blueprint.response(200, AppointmentSchema)
@_documented_with_body
def correct_attendance(body: dict[str, Any], referral_id: int, appointment_id: int) -> Any:
    """Correct an attendance recorded wrongly, with a reason, while the referral is
    accepted or in progress. The original stays on the timeline; the service's
    attendance figures follow; an undecided non-compliance alert that falls below the
    threshold is withdrawn (a decided one stays, and the referrer is asked to review it);
    a new unexplained absence may raise an alert; the referral's state never moves back.
    409 when nothing has been recorded yet or the referral is closed; 422 for a bad
    choice, a missing reason, or a correction that changes nothing."""
    appointment = _appointment(referral_id, appointment_id)
    return _run(
        lambda: services.correct_attendance(
            appointment,
            _user(),
            status=body["status"],
            absence_reason=body["absence_reason"],
            reason=body["reason"],
        )
    )


@blueprint.route("/<int:referral_id>/messages", methods=["POST"])
@requires("referral:message")
@blueprint.arguments(MessageSchema)
@blueprint.response(201, MessageSchema)
@_documented_with_body
def post_message(body: dict[str, Any], referral_id: int) -> Any:
    """Add a message to the thread between referrer and provider."""
    return _transition(
        referral_id,
        "referral:message",
        lambda r: services.post_message(r, _user(), body["body"]),
    )


@blueprint.route("/<int:referral_id>/feedback", methods=["POST"])
@requires("feedback:give")
@blueprint.arguments(FeedbackSchema)
@blueprint.response(201, FeedbackSchema)
@_documented_with_body
def give_feedback(body: dict[str, Any], referral_id: int) -> Any:
    """Rate a completed referral 1-5, once per side. A referrer may share the comment on
    the service's page (``shared``, off unless asked for)."""
    return _transition(
        referral_id,
        "feedback:give",
        lambda r: services.give_feedback(
            r,
            actor=_user(),
            rating=body["rating"],
            comments=body["comments"],
            shared=body["shared"],
        ),
    )
