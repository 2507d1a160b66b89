"""Two staff accepting at once: one acceptance, one clear refusal, one count."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from marketplace.accounts.models import User
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.referrals import lifecycle
from marketplace.referrals.lifecycle import TransitionRefused
from marketplace.referrals.models import Referral, ReferralState
from tests.factories import ReferralFactory, ServiceFactory, provider_user


@pytest.mark.committing
def test_two_staff_accepting_at_once_end_with_one_acceptance(app: Flask) -> None:
    with app.app_context():
        service = ServiceFactory(capacity=3, places_taken=1)
        referral = ReferralFactory(service=service, holds_place=True)
        staff = [provider_user(service.organisation).id for _ in range(2)]
        referral_id, service_id = referral.id, service.id
        commit()
        db.session.remove()

    both_loaded = threading.Barrier(2)
    outcomes: list[str] = []

    def accept_as(user_id: int) -> None:
        with app.app_context():
            referral = db.session.get(Referral, referral_id)
            user = db.session.get(User, user_id)
            assert referral.state == ReferralState.SENT  # both see it waiting
            both_loaded.wait(timeout=10)
            try:
                lifecycle.accept(referral, user)
                commit()
                outcomes.append("accepted")
            except TransitionRefused as refused:
                db.session.rollback()
                outcomes.append(refused.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept_as, args=(user_id,)) for user_id in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("accepted") == 1
    refusal = next(outcome for outcome in outcomes if outcome != "accepted")
    assert refusal.endswith("has already been accepted, so it cannot be accepted.")
    with app.app_context():
        assert db.session.get(Referral, referral_id).state == ReferralState.ACCEPTED
        assert db.session.get(Service, service_id).referrals_accepted == 1
        db.session.remove()


@pytest.mark.committing
def test_concurrent_closing_releases_the_place_once(app: Flask) -> None:
    with app.app_context():
        service = ServiceFactory(capacity=3, places_taken=1)
        referral = ReferralFactory(service=service, holds_place=True)
        referral_id, service_id = referral.id, service.id
        commit()
        db.session.remove()

    released: list[bool] = []
    ready = threading.Barrier(2)

    def release() -> None:
        with app.app_context():
            referral = db.session.get(Referral, referral_id)
            ready.wait(timeout=10)
            released.append(lifecycle.release_place(referral))
            commit()
            db.session.remove()

    threads = [threading.Thread(target=release) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(released) == [False, True]
    with app.app_context():
        assert db.session.get(Service, service_id).places_taken == 0
        db.session.remove()
