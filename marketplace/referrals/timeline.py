"""The referral timeline: one event per thing that happened, shown to both sides."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.referrals.models import Referral, ReferralEvent


def actor_kind(actor: User | None) -> str:
    """Which side acted: referrer, provider, admin or system (None)."""
    if actor is None:
        return "system"
    return {Role.REFERRER: "referrer", Role.PROVIDER: "provider"}.get(actor.role, "admin")


def add_event(
    referral: Referral,
    kind: str,
    summary: str,
    *,
    actor: User | None = None,
    actor_kind_override: str | None = None,
    **detail: Any,
) -> ReferralEvent:
    """Append ``kind`` (e.g. "sent", "accepted", "appointment_booked") to the timeline.

    ``actor_kind_override`` is for the person referred, who acts without an account
    ("person").
    """
    event = ReferralEvent(
        referral=referral,
        actor_id=actor.id if actor else None,
        actor_kind=actor_kind_override or actor_kind(actor),
        kind=kind,
        summary=summary,
        detail=detail,
    )
    db.session.add(event)
    return event
