"""The referral state machine, in one place.

    sent ──accept──▶ accepted ──start (first attendance)──▶ in_progress ──complete──▶ completed
      └──decline──▶ declined
    sent | accepted | in_progress ──withdraw (referrer)──▶ withdrawn
    sent | accepted | in_progress ──cancel (provider)──▶ cancelled

Each transition is a function that checks the actor, locks the referral row
(``SELECT ... FOR UPDATE``) and re-reads its state, so two staff accepting at once end
with one acceptance and one ``TransitionRefused``. Every transition bumps
``lock_version``, writes a timeline event and an audit event, tells the other side through
the outbox and, when it closes the referral, releases the place the referral held.
Transitions flush; the caller commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.authz import can
from marketplace.database import utcnow
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.referrals import notices
from marketplace.referrals.models import Outcome, Referral, ReferralState
from marketplace.referrals.timeline import add_event
from marketplace.vocabulary import label


class LifecycleError(Exception):
    """A refused action, with a message fit to show to the person who tried it.

    ``status`` is the HTTP status the API answers with.
    """

    status = 409

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionRefused(LifecycleError):
    """The action does not fit the referral's (or appointment's) current state."""

    status = 409


class InvalidInput(LifecycleError):
    """The values given cannot be used (a rating of 7, a time in the past)."""

    status = 422


class NotPermitted(LifecycleError):
    """This user may not take this action on this referral."""

    status = 403


class DeclineReason(enum.StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"
    OUTSIDE_AREA = "outside_area"
    RISK = "risk"
    NEEDS_NOT_MET = "needs_not_met"
    DUPLICATE = "duplicate"
    OTHER = "other"


class WithdrawReason(enum.StrEnum):
    PERSON_DECLINED = "person_declined"
    NEEDS_MET_ELSEWHERE = "needs_met_elsewhere"
    CIRCUMSTANCES_CHANGED = "circumstances_changed"
    REFERRED_IN_ERROR = "referred_in_error"
    OTHER = "other"


class CancelReason(enum.StrEnum):
    PERSON_DISENGAGED = "person_disengaged"
    NO_LONGER_SUITABLE = "no_longer_suitable"
    SERVICE_CLOSED = "service_closed"
    OTHER = "other"


REASON_LABELS: dict[str, str] = {
    DeclineReason.NOT_ELIGIBLE: "The person is not eligible for this service",
    DeclineReason.NO_CAPACITY: "No places available",
    DeclineReason.OUTSIDE_AREA: "The person lives outside the area we cover",
    DeclineReason.RISK: "We cannot safely manage the risk",
    DeclineReason.NEEDS_NOT_MET: "Our service does not meet these needs",
    DeclineReason.DUPLICATE: "The person is already referred to us",
    WithdrawReason.PERSON_DECLINED: "The person no longer wants the service",
    WithdrawReason.NEEDS_MET_ELSEWHERE: "Their needs are being met elsewhere",
    WithdrawReason.CIRCUMSTANCES_CHANGED: "Their circumstances changed (custody, moved away)",
    WithdrawReason.REFERRED_IN_ERROR: "Referred in error",
    CancelReason.PERSON_DISENGAGED: "The person stopped engaging",
    CancelReason.NO_LONGER_SUITABLE: "The service is no longer suitable",
    CancelReason.SERVICE_CLOSED: "The service has closed or paused",
    "other": "Another reason",
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.MET: "Needs met",
    Outcome.PARTLY_MET: "Needs partly met",
    Outcome.NOT_MET: "Needs not met",
}


def reason_label(code: str | None) -> str:
    return REASON_LABELS.get(code or "", label(code or ""))


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[ReferralState, ...]
    target: ReferralState
    permission: str
    told: str  # which side hears about it: "referrer" or "provider"
    summary: str  # timeline wording, completed with the actor's name


_OPEN = (ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "accept",
            (ReferralState.SENT,),
            ReferralState.ACCEPTED,
            "referral:respond",
            "referrer",
            "Accepted",
        ),
        Transition(
            "decline",
            (ReferralState.SENT,),
            ReferralState.DECLINED,
            "referral:respond",
            "referrer",
            "Declined",
        ),
        Transition(
            "start",
            (ReferralState.ACCEPTED,),
            ReferralState.IN_PROGRESS,
            "appointment:manage",
            "referrer",
            "Started (first attendance)",
        ),
        Transition(
            "complete",
            (ReferralState.IN_PROGRESS,),
            ReferralState.COMPLETED,
            "referral:respond",
            "referrer",
            "Completed",
        ),
        Transition(
            "withdraw", _OPEN, ReferralState.WITHDRAWN, "referral:withdraw", "provider", "Withdrawn"
        ),
        Transition(
            "cancel", _OPEN, ReferralState.CANCELLED, "referral:respond", "referrer", "Cancelled"
        ),
    )
}

CLOSED_STATES = (
    ReferralState.DECLINED,
    ReferralState.COMPLETED,
    ReferralState.WITHDRAWN,
    ReferralState.CANCELLED,
)

_STATE_WORDS = {
    ReferralState.DRAFT: "is still a draft",
    ReferralState.SENT: "is waiting for a response",
    ReferralState.ACCEPTED: "has already been accepted",
    ReferralState.DECLINED: "has already been declined",
    ReferralState.IN_PROGRESS: "is already in progress",
    ReferralState.COMPLETED: "has already been completed",
    ReferralState.WITHDRAWN: "has been withdrawn",
    ReferralState.CANCELLED: "has been cancelled",
}

_VERBS = {
    "accept": "accepted",
    "decline": "declined",
    "start": "started",
    "complete": "completed",
    "withdraw": "withdrawn",
    "cancel": "cancelled",
}


def refusal(referral: Referral, transition: Transition) -> str:
    """Why ``transition`` cannot happen now, in words for the page and the API."""
    why = _STATE_WORDS[referral.state]
    if transition.name == "complete" and referral.state == ReferralState.ACCEPTED:
        why = "has no recorded attendance yet"
    return f"Referral {referral.reference} {why}, so it cannot be {_VERBS[transition.name]}."


def allowed(referral: Referral, user: User, name: str) -> bool:
    """True if ``user`` may take transition ``name`` on ``referral`` in its current state
    (used to decide which buttons a page shows)."""
    transition = TRANSITIONS[name]
    return referral.state in transition.sources and can(user, transition.permission, referral)


def lock(referral: Referral) -> Referral:
    """Lock the referral's row until commit and refresh it from the database, so that a
    decision made by someone else a moment ago is seen before deciding again."""
    locked = db.session.scalars(
        select(Referral)
        .where(Referral.id == referral.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def _apply(
    referral: Referral,
    name: str,
    actor: User,
    *,
    reason_code: str | None = None,
    reason: str | None = None,
    fields: dict[str, Any] | None = None,
    **detail: Any,
) -> Referral:
    transition = TRANSITIONS[name]
    if not can(actor, transition.permission, referral):
        raise NotPermitted("You do not have permission to do that.")
    lock(referral)
    if referral.state not in transition.sources:
        raise TransitionRefused(refusal(referral, transition))

    previous = referral.state
    now = utcnow()
    referral.state = transition.target
    referral.lock_version += 1
    for attribute, value in (fields or {}).items():
        setattr(referral, attribute, value)
    if reason_code is not None or reason is not None:
        referral.state_reason_code = reason_code
        referral.state_reason = reason or None
    if name in ("accept", "decline"):
        referral.responded_at = now
    if name == "start":
        referral.started_at = now
    if transition.target in CLOSED_STATES:
        referral.closed_at = now
        release_place(referral)
    _count_response(referral, name)

    summary = f"{transition.summary} by {actor.name}"
    if reason_code:
        summary += f": {reason_label(reason_code)}"
    add_event(
        referral,
        name,
        summary,
        actor=actor,
        reason_code=reason_code,
        reason=reason,
        **detail,
    )
    record(
        f"referral_{name}",
        referral,
        actor=actor,
        state_from=previous.value,
        state_to=transition.target.value,
        reason_code=reason_code,
        **detail,
    )
    personalisation = {
        "actor": actor.name,
        "reason": reason_label(reason_code) if reason_code else "",
        "details": reason or "",
        **{k: str(v) for k, v in detail.items()},
    }
    if transition.told == "referrer":
        notices.tell_referrer(referral, f"referral_{name}", **personalisation)
    else:
        notices.tell_provider(referral, f"referral_{name}", **personalisation)
    db.session.flush()
    return referral


def release_place(referral: Referral) -> bool:
    """Give back the place ``referral`` holds, in one conditional statement: the referral
    row is only changed while ``holds_place`` is still true, so a place is never released
    twice however many transactions try at once. Returns True if a place was released."""
    released = db.session.execute(
        text(
            """
            WITH released AS (
                UPDATE referral SET holds_place = false
                WHERE id = :referral_id AND holds_place
                RETURNING service_id
            )
            UPDATE service SET places_taken = places_taken - 1
            FROM released
            WHERE service.id = released.service_id AND service.places_taken > 0
            RETURNING service.id
            """
        ),
        {"referral_id": referral.id},
    ).first()
    db.session.expire(referral, ["holds_place"])
    if referral.service is not None:
        db.session.expire(referral.service, ["places_taken"])
    return released is not None


def _count_response(referral: Referral, name: str) -> None:
    """Keep the service's acceptance figures current (read by the matching ranking).

    ``referrals_received`` counts referrals the provider has answered (accepted or
    declined): a referral withdrawn before any answer says nothing about the provider.
    """
    if name not in ("accept", "decline"):
        return
    accepted = 1 if name == "accept" else 0
    db.session.execute(
        update(Service)
        .where(Service.id == referral.service_id)
        .values(
            referrals_received=Service.referrals_received + 1,
            referrals_accepted=Service.referrals_accepted + accepted,
        )
    )


def _require_reason(code: str | None, text_value: str | None, choices: type[enum.StrEnum]) -> None:
    if code is None or code not in {c.value for c in choices}:
        raise InvalidInput("Select a reason", field="reason_code")
    if code == "other" and not (text_value or "").strip():
        raise InvalidInput("Explain the reason", field="reason")


def accept(referral: Referral, actor: User) -> Referral:
    """The provider takes the referral on. Raises TransitionRefused unless it is sent."""
    return _apply(referral, "accept", actor)


def decline(referral: Referral, actor: User, reason_code: str, reason: str = "") -> Referral:
    """The provider turns the referral down, with a reason code (and text for "other")."""
    _require_reason(reason_code, reason, DeclineReason)
    return _apply(referral, "decline", actor, reason_code=reason_code, reason=reason.strip())


def start(referral: Referral, actor: User) -> Referral:
    """The person has attended for the first time: the service is under way."""
    return _apply(referral, "start", actor)


def complete(referral: Referral, actor: User, outcome: str, notes: str = "") -> Referral:
    """The provider ends the service with an outcome (needs met, partly met, not met)."""
    if outcome not in {o.value for o in Outcome}:
        raise InvalidInput("Select whether the person's needs were met", field="outcome")
    return _apply(
        referral,
        "complete",
        actor,
        fields={"outcome": Outcome(outcome), "outcome_notes": notes.strip() or None},
        outcome=OUTCOME_LABELS[Outcome(outcome)],
        notes=notes.strip(),
    )


def withdraw(referral: Referral, actor: User, reason_code: str, reason: str = "") -> Referral:
    """The referrer takes the referral back, with a reason."""
    _require_reason(reason_code, reason, WithdrawReason)
    return _apply(referral, "withdraw", actor, reason_code=reason_code, reason=reason.strip())


def cancel(referral: Referral, actor: User, reason_code: str, reason: str = "") -> Referral:
    """The provider ends an open referral early, with a reason."""
    _require_reason(reason_code, reason, CancelReason)
    return _apply(referral, "cancel", actor, reason_code=reason_code, reason=reason.strip())
