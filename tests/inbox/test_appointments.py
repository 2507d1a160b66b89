"""Appointments, attendance, the first attendance starting the referral, did-not-attend
notices, non-compliance alerts and the referrer's decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.referrals import lifecycle, services
from marketplace.referrals.lifecycle import InvalidInput, NotPermitted, TransitionRefused
from marketplace.referrals.models import (
    Appointment,
    AppointmentStatus,
    ComplianceAlert,
    ReferralState,
)
from tests.factories import AppointmentFactory, LocationFactory, provider_user
from tests.inbox.conftest import Sides


def templates_to(recipient: str) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.template)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def accepted(sides: Sides) -> Sides:
    lifecycle.accept(sides.referral, sides.provider)
    return sides


def past_appointment(sides: Sides, hours_ago: int = 1) -> Appointment:
    return AppointmentFactory(
        referral=sides.referral,
        starts_at=utcnow() - timedelta(hours=hours_ago),
        location=sides.location,
    )


def test_booking_an_appointment_tells_the_person_with_their_link(accepted: Sides) -> None:
    starts = utcnow() + timedelta(days=3)
    appointment = services.book_appointment(
        accepted.referral,
        accepted.provider,
        starts_at=starts,
        mode="in_person",
        location_id=accepted.location.id,
    )
    assert appointment.status == AppointmentStatus.SCHEDULED
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == "person@example.org")
    )
    assert message.template == "appointment_booked"
    assert "/p/" in message.personalisation["link"]
    assert accepted.location.name in message.personalisation["where"]


def test_a_sent_referral_cannot_have_appointments(sides: Sides) -> None:
    with pytest.raises(TransitionRefused, match="once it is accepted"):
        services.book_appointment(
            sides.referral, sides.provider, starts_at=utcnow() + timedelta(days=1), mode="phone"
        )


def test_appointments_must_be_in_the_future(accepted: Sides) -> None:
    with pytest.raises(InvalidInput, match="must be in the future"):
        services.book_appointment(
            accepted.referral,
            accepted.provider,
            starts_at=utcnow() - timedelta(hours=1),
            mode="phone",
        )


def test_an_in_person_appointment_needs_one_of_the_providers_locations(accepted: Sides) -> None:
    elsewhere = LocationFactory()
    with pytest.raises(InvalidInput, match="Select where the appointment is"):
        services.book_appointment(
            accepted.referral,
            accepted.provider,
            starts_at=utcnow() + timedelta(days=1),
            mode="in_person",
            location_id=elsewhere.id,
        )


def test_a_referrer_cannot_book_appointments(accepted: Sides) -> None:
    with pytest.raises(NotPermitted):
        services.book_appointment(
            accepted.referral,
            accepted.referrer,
            starts_at=utcnow() + timedelta(days=1),
            mode="phone",
        )


def test_rescheduling_keeps_the_old_appointment_and_books_a_new_one(accepted: Sides) -> None:
    old = services.book_appointment(
        accepted.referral,
        accepted.provider,
        starts_at=utcnow() + timedelta(days=2),
        mode="remote",
        remote_details="Video link to follow",
    )
    new = services.reschedule_appointment(
        old, accepted.provider, starts_at=utcnow() + timedelta(days=4)
    )
    assert old.status == AppointmentStatus.RESCHEDULED
    assert new.replaces_id == old.id
    assert new.mode == old.mode and new.remote_details == "Video link to follow"
    assert templates_to("person@example.org") == ["appointment_booked", "appointment_rescheduled"]
    with pytest.raises(TransitionRefused, match="rescheduled, so it cannot be rescheduled"):
        services.reschedule_appointment(
            old, accepted.provider, starts_at=utcnow() + timedelta(days=5)
        )


def test_cancelling_an_appointment_tells_the_person(accepted: Sides) -> None:
    appointment = services.book_appointment(
        accepted.referral, accepted.provider, starts_at=utcnow() + timedelta(days=2), mode="phone"
    )
    services.cancel_appointment(appointment, accepted.provider, "Staff illness")
    assert appointment.status == AppointmentStatus.CANCELLED
    assert templates_to("person@example.org")[-1] == "appointment_cancelled"


def test_attendance_for_a_future_appointment_is_refused(accepted: Sides) -> None:
    appointment = AppointmentFactory(
        referral=accepted.referral, starts_at=utcnow() + timedelta(hours=3)
    )
    with pytest.raises(TransitionRefused, match="has not started yet"):
        services.record_attendance(appointment, accepted.provider, status="attended")
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_first_attendance_starts_the_referral_and_counts(accepted: Sides) -> None:
    appointment = past_appointment(accepted)
    services.record_attendance(appointment, accepted.provider, status="late", notes="Engaged well")
    db.session.refresh(accepted.service)
    assert accepted.referral.state == ReferralState.IN_PROGRESS
    assert appointment.status == AppointmentStatus.LATE
    assert appointment.engagement_notes == "Engaged well"
    assert (accepted.service.appointments_booked, accepted.service.appointments_attended) == (1, 1)


def test_attendance_is_recorded_once(accepted: Sides) -> None:
    appointment = past_appointment(accepted)
    services.record_attendance(appointment, accepted.provider, status="attended")
    with pytest.raises(TransitionRefused, match="already been recorded"):
        services.record_attendance(
            appointment, accepted.provider, status="did_not_attend", absence_reason="unknown"
        )


def test_did_not_attend_needs_a_reason(accepted: Sides) -> None:
    with pytest.raises(InvalidInput, match="why the person did not attend"):
        services.record_attendance(
            past_appointment(accepted), accepted.provider, status="did_not_attend"
        )


def test_a_rating_of_attendance_outside_the_choices_is_refused(accepted: Sides) -> None:
    with pytest.raises(InvalidInput):
        services.record_attendance(past_appointment(accepted), accepted.provider, status="sort_of")


def test_did_not_attend_tells_the_referrer_and_does_not_start(accepted: Sides) -> None:
    appointment = past_appointment(accepted)
    services.record_attendance(
        appointment, accepted.provider, status="did_not_attend", absence_reason="illness"
    )
    db.session.refresh(accepted.service)
    assert accepted.referral.state == ReferralState.ACCEPTED
    assert appointment.absence_explained is True
    assert "did_not_attend" in templates_to(accepted.referrer.email)
    assert (accepted.service.appointments_booked, accepted.service.appointments_attended) == (1, 0)


def test_two_unexplained_absences_raise_one_alert_to_the_referrer(accepted: Sides) -> None:
    for hours in (48, 24):
        services.record_attendance(
            past_appointment(accepted, hours),
            accepted.provider,
            status="did_not_attend",
            absence_reason="unknown",
        )
    alerts = db.session.scalars(
        select(ComplianceAlert).where(ComplianceAlert.referral_id == accepted.referral.id)
    ).all()
    assert [alert.missed_count for alert in alerts] == [2]
    assert templates_to(accepted.referrer.email).count("compliance_alert") == 1


def test_explained_absences_do_not_raise_an_alert(accepted: Sides) -> None:
    for hours, reason in ((48, "illness"), (24, "unknown")):
        services.record_attendance(
            past_appointment(accepted, hours),
            accepted.provider,
            status="did_not_attend",
            absence_reason=reason,
        )
    assert (
        db.session.scalar(
            select(ComplianceAlert).where(ComplianceAlert.referral_id == accepted.referral.id)
        )
        is None
    )


def test_the_breach_threshold_is_configurable(accepted: Sides, app) -> None:  # noqa: ANN001
    app.config["BREACH_UNEXPLAINED_ABSENCES"] = 1
    try:
        services.record_attendance(
            past_appointment(accepted),
            accepted.provider,
            status="did_not_attend",
            absence_reason="unknown",
        )
    finally:
        app.config["BREACH_UNEXPLAINED_ABSENCES"] = 2
    assert (
        db.session.scalar(
            select(ComplianceAlert).where(ComplianceAlert.referral_id == accepted.referral.id)
        )
        is not None
    )


def raise_alert(sides: Sides) -> ComplianceAlert:
    for hours in (48, 24):
        services.record_attendance(
            past_appointment(sides, hours),
            sides.provider,
            status="did_not_attend",
            absence_reason="unknown",
        )
    return db.session.scalar(
        select(ComplianceAlert).where(ComplianceAlert.referral_id == sides.referral.id)
    )


def test_the_referrer_records_a_decision_once_and_the_provider_is_told(accepted: Sides) -> None:
    alert = raise_alert(accepted)
    services.decide_compliance(alert, accepted.referrer, "warning", "Final warning given.")
    assert alert.decision.value == "warning" and alert.decided_by_id == accepted.referrer.id
    assert "compliance_decision" in templates_to("referrals@charity.example")
    with pytest.raises(TransitionRefused, match="already been recorded"):
        services.decide_compliance(alert, accepted.referrer, "breach_reported")


def test_a_provider_cannot_decide_on_compliance(accepted: Sides) -> None:
    alert = raise_alert(accepted)
    with pytest.raises(NotPermitted):
        services.decide_compliance(alert, accepted.provider, "warning")


def test_a_third_unexplained_absence_after_a_decision_raises_a_new_alert(accepted: Sides) -> None:
    alert = raise_alert(accepted)
    services.decide_compliance(alert, accepted.referrer, "rearranged")
    services.record_attendance(
        past_appointment(accepted, 2),
        accepted.provider,
        status="did_not_attend",
        absence_reason="unknown",
    )
    counts = db.session.scalars(
        select(ComplianceAlert.missed_count)
        .where(ComplianceAlert.referral_id == accepted.referral.id)
        .order_by(ComplianceAlert.id)
    ).all()
    assert counts == [2, 3]


def test_other_organisations_cannot_record_attendance(accepted: Sides) -> None:
    with pytest.raises(NotPermitted):
        services.record_attendance(past_appointment(accepted), provider_user(), status="attended")


def test_messages_go_to_the_other_side(sides: Sides) -> None:
    services.post_message(sides.referral, sides.referrer, "Can you see her on Tuesday?")
    services.post_message(sides.referral, sides.provider_member, "Yes, 10am.")
    assert templates_to("referrals@charity.example") == ["referral_message"]
    assert templates_to(sides.referrer.email) == ["referral_message"]
    with pytest.raises(InvalidInput, match="Enter a message"):
        services.post_message(sides.referral, sides.referrer, "   ")
