"""The state machine: allowed transitions, refusals, actors, places, counters, audit,
timeline and the notice to the other side."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.referrals import lifecycle
from marketplace.referrals.lifecycle import InvalidInput, NotPermitted, TransitionRefused
from marketplace.referrals.models import ReferralEvent, ReferralState
from tests.factories import UserFactory, provider_user
from tests.inbox.conftest import Sides


def outbox_to(recipient: str) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.template).where(OutboxMessage.recipient == recipient)
        )
    )


def timeline(sides: Sides) -> list[str]:
    return list(
        db.session.scalars(
            select(ReferralEvent.kind)
            .where(ReferralEvent.referral_id == sides.referral.id)
            .order_by(ReferralEvent.id)
        )
    )


def test_provider_accepts_a_sent_referral(sides: Sides) -> None:
    version = sides.referral.lock_version
    lifecycle.accept(sides.referral, sides.provider_member)

    assert sides.referral.state == ReferralState.ACCEPTED
    assert sides.referral.responded_at is not None
    assert sides.referral.lock_version == version + 1
    assert timeline(sides) == ["accept"]
    assert outbox_to(sides.referrer.email) == ["referral_accept"]
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral_accept"))
    assert audit.actor_id == sides.provider_member.id
    assert audit.detail["state_from"] == "sent" and audit.detail["state_to"] == "accepted"


def test_accepting_counts_towards_the_services_acceptance_figures(sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    db.session.refresh(sides.service)
    assert (sides.service.referrals_received, sides.service.referrals_accepted) == (1, 1)


def test_declining_counts_as_received_but_not_accepted(sides: Sides) -> None:
    lifecycle.decline(sides.referral, sides.provider, "no_capacity")
    db.session.refresh(sides.service)
    assert (sides.service.referrals_received, sides.service.referrals_accepted) == (1, 0)


def test_decline_needs_a_reason_and_text_for_other(sides: Sides) -> None:
    with pytest.raises(InvalidInput, match="Select a reason"):
        lifecycle.decline(sides.referral, sides.provider, "")
    with pytest.raises(InvalidInput, match="Explain the reason"):
        lifecycle.decline(sides.referral, sides.provider, "other", "  ")
    assert sides.referral.state == ReferralState.SENT


def test_declining_releases_the_place_and_tells_the_referrer(sides: Sides) -> None:
    lifecycle.decline(sides.referral, sides.provider, "outside_area", "We cover Leeds only.")

    db.session.refresh(sides.service)
    db.session.refresh(sides.referral)
    assert sides.referral.state == ReferralState.DECLINED
    assert sides.referral.state_reason_code == "outside_area"
    assert sides.referral.state_reason == "We cover Leeds only."
    assert sides.referral.holds_place is False
    assert sides.service.places_taken == 0
    assert "referral_decline" in outbox_to(sides.referrer.email)


def test_accepting_an_already_declined_referral_is_refused_clearly(sides: Sides) -> None:
    lifecycle.decline(sides.referral, sides.provider, "not_eligible")
    with pytest.raises(TransitionRefused) as refused:
        lifecycle.accept(sides.referral, sides.provider)
    assert refused.value.message == (
        f"Referral {sides.referral.reference} has already been declined, so it cannot be accepted."
    )
    assert refused.value.status == 409


def test_a_place_is_released_only_once(sides: Sides) -> None:
    assert lifecycle.release_place(sides.referral) is True
    assert lifecycle.release_place(sides.referral) is False
    db.session.refresh(sides.service)
    assert sides.service.places_taken == 0


def test_a_referral_without_a_place_releases_nothing(sides: Sides) -> None:
    sides.referral.holds_place = False
    db.session.flush()
    lifecycle.cancel(sides.referral, sides.provider, "service_closed")
    db.session.refresh(sides.service)
    assert sides.service.places_taken == 1


@pytest.mark.parametrize("closing", ["withdraw", "cancel", "complete"])
def test_every_closing_transition_releases_the_place(sides: Sides, closing: str) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    if closing == "withdraw":
        lifecycle.withdraw(sides.referral, sides.referrer, "person_declined")
    elif closing == "cancel":
        lifecycle.cancel(sides.referral, sides.provider, "person_disengaged")
    else:
        lifecycle.start(sides.referral, sides.provider)
        lifecycle.complete(sides.referral, sides.provider, "met", "Housed.")
    db.session.refresh(sides.service)
    assert sides.service.places_taken == 0
    assert sides.referral.closed_at is not None


def test_full_happy_path_writes_each_step_to_the_timeline(sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    lifecycle.start(sides.referral, sides.provider)
    lifecycle.complete(sides.referral, sides.provider, "partly_met", "Found a flat; debts remain.")
    assert sides.referral.state == ReferralState.COMPLETED
    assert sides.referral.outcome.value == "partly_met"
    assert sides.referral.outcome_notes == "Found a flat; debts remain."
    assert timeline(sides) == ["accept", "start", "complete"]
    assert outbox_to(sides.referrer.email) == [
        "referral_accept",
        "referral_start",
        "referral_complete",
    ]


def test_completing_without_any_attendance_is_refused(sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    with pytest.raises(TransitionRefused, match="has no recorded attendance yet"):
        lifecycle.complete(sides.referral, sides.provider, "met")
    assert sides.referral.outcome is None


def test_complete_needs_a_known_outcome(sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    lifecycle.start(sides.referral, sides.provider)
    with pytest.raises(InvalidInput, match="needs were met"):
        lifecycle.complete(sides.referral, sides.provider, "brilliant")


def test_withdrawal_tells_the_provider(sides: Sides) -> None:
    lifecycle.withdraw(sides.referral, sides.referrer, "needs_met_elsewhere")
    assert sides.referral.state == ReferralState.WITHDRAWN
    assert outbox_to("referrals@charity.example") == ["referral_withdraw"]


def test_a_closed_referral_cannot_be_withdrawn(sides: Sides) -> None:
    lifecycle.cancel(sides.referral, sides.provider, "service_closed")
    with pytest.raises(TransitionRefused, match="has been cancelled, so it cannot be withdrawn"):
        lifecycle.withdraw(sides.referral, sides.referrer, "person_declined")


def test_a_referrer_cannot_accept(sides: Sides) -> None:
    with pytest.raises(NotPermitted):
        lifecycle.accept(sides.referral, sides.referrer)
    assert sides.referral.state == ReferralState.SENT


def test_a_provider_cannot_withdraw(sides: Sides) -> None:
    with pytest.raises(NotPermitted):
        lifecycle.withdraw(sides.referral, sides.provider, "person_declined")


def test_another_organisations_provider_cannot_accept(sides: Sides) -> None:
    with pytest.raises(NotPermitted):
        lifecycle.accept(sides.referral, provider_user())


def test_a_referrer_from_another_agency_cannot_withdraw(sides: Sides) -> None:
    with pytest.raises(NotPermitted):
        lifecycle.withdraw(sides.referral, UserFactory(), "person_declined")


def test_allowed_lists_only_what_the_user_may_do_now(sides: Sides) -> None:
    provider_actions = {
        name
        for name in lifecycle.TRANSITIONS
        if lifecycle.allowed(sides.referral, sides.provider, name)
    }
    referrer_actions = {
        name
        for name in lifecycle.TRANSITIONS
        if lifecycle.allowed(sides.referral, sides.referrer, name)
    }
    assert provider_actions == {"accept", "decline", "cancel"}
    assert referrer_actions == {"withdraw"}


def test_without_contact_addresses_the_providers_admins_are_told(sides: Sides) -> None:
    sides.referral.organisation.email = None
    db.session.flush()
    lifecycle.withdraw(sides.referral, sides.referrer, "person_declined")
    assert outbox_to(sides.provider.email) == ["referral_withdraw"]
    assert outbox_to(sides.provider_member.email) == []
