"""360° feedback: once per side after completion, ratings feeding the service's rating,
and the provider's one public reply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import MembershipRole
from marketplace.referrals import lifecycle, services
from marketplace.referrals.lifecycle import InvalidInput, NotPermitted, TransitionRefused
from marketplace.referrals.models import FeedbackAuthor
from marketplace.referrals.ratings import service_rating
from tests.factories import AppointmentFactory, provider_user
from tests.inbox.conftest import Sides


@pytest.fixture
def completed(sides: Sides) -> Sides:
    lifecycle.accept(sides.referral, sides.provider)
    appointment = AppointmentFactory(
        referral=sides.referral, starts_at=utcnow() - timedelta(hours=1)
    )
    services.record_attendance(appointment, sides.provider, status="attended")
    lifecycle.complete(sides.referral, sides.provider, "met")
    return sides


def test_feedback_waits_for_completion(sides: Sides) -> None:
    with pytest.raises(TransitionRefused, match="once the referral has been completed"):
        services.give_feedback(sides.referral, actor=sides.referrer, rating=4)


def test_referrer_and_person_ratings_change_the_services_rating(completed: Sides) -> None:
    before = service_rating(completed.service.rating_sum, completed.service.rating_count)
    services.give_feedback(
        completed.referral, actor=completed.referrer, rating=5, comments="Quick and kind"
    )
    services.give_feedback(completed.referral, author_kind=FeedbackAuthor.PERSON, rating=5)
    db.session.refresh(completed.service)
    after = service_rating(completed.service.rating_sum, completed.service.rating_count)
    assert (float(completed.service.rating_sum), completed.service.rating_count) == (10.0, 2)
    assert after.smoothed > before.smoothed


def test_the_providers_rating_is_kept_but_does_not_rate_its_own_service(completed: Sides) -> None:
    feedback = services.give_feedback(completed.referral, actor=completed.provider, rating=5)
    db.session.refresh(completed.service)
    assert feedback.author_kind == FeedbackAuthor.PROVIDER
    assert completed.service.rating_count == 0


def test_feedback_twice_from_the_same_side_is_refused(completed: Sides) -> None:
    services.give_feedback(completed.referral, actor=completed.referrer, rating=4)
    with pytest.raises(TransitionRefused, match="already been given"):
        services.give_feedback(completed.referral, actor=completed.referrer, rating=2)
    db.session.refresh(completed.service)
    assert completed.service.rating_count == 1


@pytest.mark.parametrize("rating", [0, 7, "5", 4.5, None])
def test_ratings_outside_one_to_five_are_refused(completed: Sides, rating: object) -> None:
    with pytest.raises(InvalidInput, match="whole number from 1 to 5"):
        services.give_feedback(completed.referral, actor=completed.referrer, rating=rating)


def test_the_person_giving_feedback_uses_up_their_link(completed: Sides) -> None:
    from marketplace.referrals import person_links

    token = person_links.issue_link(completed.referral)
    services.give_feedback(completed.referral, author_kind=FeedbackAuthor.PERSON, rating=3)
    with pytest.raises(person_links.UsedLink):
        person_links.resolve(token)


def test_a_provider_admin_replies_publicly_once(completed: Sides) -> None:
    feedback = services.give_feedback(
        completed.referral, actor=completed.referrer, rating=2, comments="Slow"
    )
    services.reply_to_feedback(feedback, completed.provider, "Sorry: we were short-staffed.")
    assert feedback.provider_reply == "Sorry: we were short-staffed."
    with pytest.raises(TransitionRefused, match="already replied"):
        services.reply_to_feedback(feedback, completed.provider, "Again")


def test_a_provider_member_cannot_reply(completed: Sides) -> None:
    feedback = services.give_feedback(completed.referral, actor=completed.referrer, rating=2)
    member = provider_user(completed.referral.organisation, role=MembershipRole.MEMBER)
    with pytest.raises(NotPermitted):
        services.reply_to_feedback(feedback, member, "Hello")
