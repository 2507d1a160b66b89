"""The person's tokenised link: see, confirm, rearrange, check in, give feedback; and
unknown, expired and used links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.referrals import lifecycle, person_links, services
from marketplace.referrals.models import Appointment, Feedback, FeedbackAuthor, PersonLink
from tests.factories import AppointmentFactory, ReferralFactory
from tests.helpers import csrf_token, post_form
from tests.inbox.conftest import Sides


@pytest.fixture
def booked(sides: Sides) -> tuple[Sides, Appointment, str]:
    lifecycle.accept(sides.referral, sides.provider)
    appointment = AppointmentFactory(
        referral=sides.referral, starts_at=utcnow() + timedelta(days=2), location=sides.location
    )
    return sides, appointment, person_links.issue_link(sides.referral)


def test_only_a_hash_of_the_token_is_stored(booked) -> None:  # noqa: ANN001
    sides, _, token = booked
    stored = db.session.scalar(
        select(PersonLink.token_hash).where(PersonLink.referral_id == sides.referral.id)
    )
    assert stored == person_links.digest(token) and token not in stored


def test_the_link_shows_the_appointment_without_signing_in(client: FlaskClient, booked) -> None:  # noqa: ANN001
    sides, appointment, token = booked
    response = client.get(f"/p/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sides.service.name in page and sides.location.name in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert sides.referral.person.reference not in page  # nothing about the case


def test_the_person_confirms(client: FlaskClient, booked) -> None:  # noqa: ANN001
    _, appointment, token = booked
    response = post_form(
        client, f"/p/{token}/appointments/{appointment.id}/confirm", {}, form_page=f"/p/{token}"
    )
    assert response.status_code == 302
    assert appointment.person_confirmed_at is not None


def test_the_person_asks_to_rearrange_and_the_provider_is_told(client: FlaskClient, booked) -> None:  # noqa: ANN001
    _, appointment, token = booked
    path = f"/p/{token}/appointments/{appointment.id}/rearrange"
    empty = post_form(client, path, {"note": ""})
    assert empty.status_code == 400
    assert "Tell us when you could come instead" in empty.get_data(as_text=True)
    post_form(client, path, {"note": "Any morning next week"})
    assert appointment.rearrange_note == "Any morning next week"
    assert (
        db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.template == "rearrange_requested")
        )
        is not None
    )


def test_check_in_is_refused_before_the_day(client: FlaskClient, booked) -> None:  # noqa: ANN001
    _, appointment, token = booked
    response = post_form(
        client, f"/p/{token}/appointments/{appointment.id}/check-in", {}, form_page=f"/p/{token}"
    )
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You can check in from" in follow
    assert appointment.person_checked_in_at is None


def test_check_in_on_the_day_is_recorded_on_the_timeline(client: FlaskClient, booked) -> None:  # noqa: ANN001
    sides, appointment, token = booked
    appointment.starts_at = utcnow() + timedelta(minutes=30)
    db.session.flush()
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert "Check in: I am here" in page
    post_form(
        client, f"/p/{token}/appointments/{appointment.id}/check-in", {}, form_page=f"/p/{token}"
    )
    assert appointment.person_checked_in_at is not None
    kinds = [event.kind for event in sides.referral.events]
    assert "person_checked_in" in kinds


def test_a_link_cannot_touch_another_referrals_appointment(client: FlaskClient, booked) -> None:  # noqa: ANN001
    _, _, token = booked
    other = AppointmentFactory(referral=ReferralFactory(), starts_at=utcnow() + timedelta(days=1))
    post_form(client, f"/p/{token}/appointments/{other.id}/confirm", {}, form_page=f"/p/{token}")
    assert other.person_confirmed_at is None


def test_an_unknown_link_is_not_found(client: FlaskClient) -> None:
    response = client.get("/p/not-a-real-token")
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)


def test_an_expired_link_says_so(client: FlaskClient, booked) -> None:  # noqa: ANN001
    sides, _, token = booked
    link = db.session.scalar(select(PersonLink).where(PersonLink.referral_id == sides.referral.id))
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    response = client.get(f"/p/{token}")
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


def test_the_person_gives_feedback_once_then_the_link_is_used(client: FlaskClient, booked) -> None:  # noqa: ANN001
    sides, appointment, token = booked
    appointment.starts_at = utcnow() - timedelta(hours=2)
    db.session.flush()
    services.record_attendance(appointment, sides.provider, status="attended")
    lifecycle.complete(sides.referral, sides.provider, "met")

    assert "Give feedback" in client.get(f"/p/{token}").get_data(as_text=True)
    bad = post_form(client, f"/p/{token}/feedback", {"rating": "7"})
    assert bad.status_code == 400
    response = post_form(
        client, f"/p/{token}/feedback", {"rating": "4", "comments": "They listened"}
    )
    assert "Thank you for your feedback" in response.get_data(as_text=True)
    feedback = db.session.scalar(select(Feedback).where(Feedback.referral_id == sides.referral.id))
    assert (feedback.author_kind, feedback.rating) == (FeedbackAuthor.PERSON, 4)

    again = client.get(f"/p/{token}")
    assert again.status_code == 410
    assert "This link has already been used" in again.get_data(as_text=True)


def test_the_link_pages_refuse_posts_without_csrf(client: FlaskClient, booked) -> None:  # noqa: ANN001
    _, appointment, token = booked
    csrf_token(client, f"/p/{token}")
    response = client.post(f"/p/{token}/appointments/{appointment.id}/confirm", data={})
    assert response.status_code == 400
    assert appointment.person_confirmed_at is None
