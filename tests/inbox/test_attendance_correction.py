"""Correcting a recorded attendance: the original kept on the timeline and in the audit
log, the service's counters, non-compliance alerts withdrawn (undecided) or kept (decided),
the breach check for a new unexplained absence, the referral never moving back, and who
may correct what, when — through the service, the page and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.tokens import issue_token
from marketplace.audit.models import AuditEvent
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.jobs import render
from marketplace.notifications.models import OutboxMessage
from marketplace.referrals import lifecycle, queries, services
from marketplace.referrals.lifecycle import InvalidInput, NotPermitted, TransitionRefused
from marketplace.referrals.models import (
    Appointment,
    AppointmentStatus,
    ComplianceAlert,
    ReferralEvent,
    ReferralState,
)
from tests.factories import AppointmentFactory, provider_user
from tests.helpers import post_form, sign_in
from tests.inbox.conftest import Sides

REASON = "Recorded against the wrong person: she came and stayed the full hour"


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


def recorded(sides: Sides, status: str, absence_reason: str | None = None, hours_ago: int = 1):  # noqa: ANN201
    appointment = past_appointment(sides, hours_ago)
    services.record_attendance(
        appointment, sides.provider, status=status, absence_reason=absence_reason
    )
    return appointment


def templates_to(recipient: str) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.template)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
    )


def last_message_to(recipient: str) -> OutboxMessage:
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).one()


def alerts_of(sides: Sides) -> list[ComplianceAlert]:
    return list(
        db.session.scalars(
            select(ComplianceAlert)
            .where(ComplianceAlert.referral_id == sides.referral.id)
            .order_by(ComplianceAlert.id)
        )
    )


def counters(sides: Sides) -> tuple[int, int]:
    db.session.refresh(sides.service)
    return sides.service.appointments_booked, sides.service.appointments_attended


def open_alerts_in_inbox(sides: Sides) -> int:
    inbox = queries.inbox(sides.provider, queries.InboxFilters(tab="all"))
    return next(row.open_alerts for row in inbox.rows if row.id == sides.referral.id)


# The record of the change ------------------------------------------------------------------


def test_a_correction_keeps_the_original_and_says_who_changed_what_and_why(
    accepted: Sides,
) -> None:
    appointment = recorded(accepted, "did_not_attend", "unknown")
    services.correct_attendance(
        appointment, accepted.provider_member, status="attended", reason=REASON
    )
    assert appointment.status == AppointmentStatus.ATTENDED
    assert appointment.absence_reason is None and appointment.absence_explained is False

    summaries = list(
        db.session.scalars(
            select(ReferralEvent.summary)
            .where(
                ReferralEvent.referral_id == accepted.referral.id,
                ReferralEvent.kind.in_(["attendance", "attendance_corrected"]),
            )
            .order_by(ReferralEvent.id)
        )
    )
    assert summaries[0].startswith("Did not attend on")  # the original stays
    assert summaries[1].endswith(
        f"changed from did not attend, unexplained to attended by Mo Member: {REASON}"
    )
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance_corrected"))
    assert audit.actor_id == accepted.provider_member.id
    assert (audit.detail["from_status"], audit.detail["status"]) == ("did_not_attend", "attended")
    assert audit.detail["reason"] == REASON and audit.detail["summary"] == summaries[1]


def test_the_referrer_is_told_of_a_correction(accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    services.correct_attendance(appointment, accepted.provider, status="late", reason=REASON)
    message = last_message_to(accepted.referrer.email)
    assert message.template == "attendance_corrected"
    assert message.personalisation["before"] == "attended"
    assert message.personalisation["after"] == "attended, but late"
    assert message.personalisation["reason"] == REASON
    assert message.personalisation["decided"] == ""


# Counters --------------------------------------------------------------------------------------


def test_the_services_attendance_counter_moves_by_the_difference(accepted: Sides) -> None:
    appointment = recorded(accepted, "did_not_attend", "illness")
    assert counters(accepted) == (1, 0)
    services.correct_attendance(appointment, accepted.provider, status="late", reason=REASON)
    assert counters(accepted) == (1, 1)
    services.correct_attendance(appointment, accepted.provider, status="attended", reason=REASON)
    assert counters(accepted) == (1, 1)
    services.correct_attendance(
        appointment,
        accepted.provider,
        status="did_not_attend",
        absence_reason="transport",
        reason=REASON,
    )
    assert counters(accepted) == (1, 0)


# State --------------------------------------------------------------------------------------


def test_the_referral_does_not_move_backwards(accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    assert accepted.referral.state == ReferralState.IN_PROGRESS
    services.correct_attendance(
        appointment,
        accepted.provider,
        status="did_not_attend",
        absence_reason="illness",
        reason=REASON,
    )
    assert accepted.referral.state == ReferralState.IN_PROGRESS


def test_correcting_to_a_first_attendance_starts_the_referral(accepted: Sides) -> None:
    appointment = recorded(accepted, "did_not_attend", "illness")
    assert accepted.referral.state == ReferralState.ACCEPTED
    services.correct_attendance(appointment, accepted.provider, status="attended", reason=REASON)
    assert accepted.referral.state == ReferralState.IN_PROGRESS


# Non-compliance alerts ---------------------------------------------------------------------------


def raise_alert(sides: Sides) -> tuple[list[Appointment], ComplianceAlert]:
    missed = [recorded(sides, "did_not_attend", "unknown", hours) for hours in (48, 24)]
    (alert,) = alerts_of(sides)
    return missed, alert


def test_an_undecided_alert_below_the_threshold_is_withdrawn_and_no_longer_open(
    client: FlaskClient, accepted: Sides
) -> None:
    missed, alert = raise_alert(accepted)
    assert open_alerts_in_inbox(accepted) == 1
    services.correct_attendance(
        missed[0],
        accepted.provider,
        status="did_not_attend",
        absence_reason="illness",
        reason="She phoned in sick the day before; the message was missed",
    )
    assert alert.withdrawn_at is not None and alert.decision is None
    assert "changed from did not attend, unexplained to did not attend (illness)" in (
        alert.withdrawn_reason or ""
    )
    assert not alert.is_open
    assert open_alerts_in_inbox(accepted) == 0

    message = last_message_to(accepted.referrer.email)
    assert message.template == "compliance_alert_withdrawn"
    assert message.personalisation["missed"] == "1"
    assert "attendance_corrected" not in templates_to(accepted.referrer.email)  # one message
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "compliance_alert_withdrawn")
    )

    sign_in(client, accepted.referrer.email)
    page = client.get(f"/referrals/{accepted.referral.id}").get_data(as_text=True)
    assert "The referrer needs to record a decision" not in page
    assert "Record a decision on the alert" not in page
    assert "Non-compliance alert withdrawn" in page  # on the timeline
    listing = client.get("/referrals?tab=all").get_data(as_text=True)
    assert "govuk-tag--orange" not in listing
    with pytest.raises(TransitionRefused, match="withdrawn"):
        services.decide_compliance(alert, accepted.referrer, "warning")


def test_an_alert_still_at_the_threshold_stays_open_with_its_new_count(accepted: Sides) -> None:
    missed = [recorded(accepted, "did_not_attend", "unknown", hours) for hours in (72, 48, 24)]
    (alert,) = alerts_of(accepted)
    assert alert.missed_count == 3
    services.correct_attendance(missed[0], accepted.provider, status="attended", reason=REASON)
    assert alert.is_open and alert.missed_count == 2
    assert last_message_to(accepted.referrer.email).template == "attendance_corrected"


def test_a_decided_alert_stays_and_the_referrer_is_asked_to_review(accepted: Sides) -> None:
    missed, alert = raise_alert(accepted)
    services.decide_compliance(alert, accepted.referrer, "warning", "Warning letter sent")
    services.correct_attendance(missed[1], accepted.provider, status="attended", reason=REASON)
    assert alert.withdrawn_at is None and alert.decision is not None
    message = last_message_to(accepted.referrer.email)
    assert message.template == "attendance_corrected"
    assert message.personalisation["decided"].startswith("Warning given on ")
    text = message_text(message)
    assert "Please check whether your decision still stands" in text


def message_text(message: OutboxMessage) -> str:
    return render(message).body


def test_correcting_an_attendance_into_an_unexplained_absence_runs_the_breach_check(
    accepted: Sides,
) -> None:
    recorded(accepted, "did_not_attend", "unknown", 48)
    attended = recorded(accepted, "attended", hours_ago=24)
    assert alerts_of(accepted) == []
    services.correct_attendance(
        attended,
        accepted.provider,
        status="did_not_attend",
        absence_reason="unknown",
        reason="The check-in was someone else's",
    )
    (alert,) = alerts_of(accepted)
    assert alert.missed_count == 2 and alert.is_open
    assert templates_to(accepted.referrer.email)[-2:] == [
        "attendance_corrected",
        "compliance_alert",
    ]


def test_after_a_withdrawal_reaching_the_threshold_again_raises_a_new_alert(
    accepted: Sides,
) -> None:
    missed, first = raise_alert(accepted)
    services.correct_attendance(missed[0], accepted.provider, status="attended", reason=REASON)
    assert first.withdrawn_at is not None
    recorded(accepted, "did_not_attend", "unknown", 2)
    alerts = alerts_of(accepted)
    assert [(a.missed_count, a.is_open) for a in alerts] == [(2, False), (2, True)]


# Refusals --------------------------------------------------------------------------------------


def test_nothing_recorded_yet_is_refused(accepted: Sides) -> None:
    with pytest.raises(TransitionRefused, match="nothing to correct"):
        services.correct_attendance(
            past_appointment(accepted), accepted.provider, status="attended", reason=REASON
        )


def test_a_closed_referral_is_refused(accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    lifecycle.complete(accepted.referral, accepted.provider, "met")
    with pytest.raises(TransitionRefused, match="only while a referral is accepted or in progress"):
        services.correct_attendance(
            appointment,
            accepted.provider,
            status="did_not_attend",
            absence_reason="unknown",
            reason=REASON,
        )
    assert appointment.status == AppointmentStatus.ATTENDED


@pytest.mark.parametrize(
    "values,message",
    [
        ({"status": "sort_of", "reason": REASON}, "Select whether the person attended"),
        ({"status": "did_not_attend", "reason": REASON}, "Select why the person did not attend"),
        ({"status": "late", "reason": "   "}, "Enter why you are correcting"),
        ({"status": "attended", "reason": REASON}, "already recorded as attended"),
    ],
)
def test_bad_corrections_are_refused(accepted: Sides, values: dict, message: str) -> None:
    appointment = recorded(accepted, "attended")
    with pytest.raises(InvalidInput, match=message):
        services.correct_attendance(appointment, accepted.provider, **values)
    assert counters(accepted) == (1, 1)


def test_the_referrer_and_other_providers_cannot_correct(accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    for someone in (accepted.referrer, provider_user()):
        with pytest.raises(NotPermitted):
            services.correct_attendance(appointment, someone, status="late", reason=REASON)


# The page ----------------------------------------------------------------------------------------


def correction_path(sides: Sides, appointment: Appointment) -> str:
    return f"/referrals/{sides.referral.id}/appointments/{appointment.id}/attendance/correction"


def test_the_provider_corrects_through_the_page(client: FlaskClient, accepted: Sides) -> None:
    appointment = recorded(accepted, "did_not_attend", "unknown")
    sign_in(client, accepted.provider.email)
    detail = client.get(f"/referrals/{accepted.referral.id}").get_data(as_text=True)
    assert correction_path(accepted, appointment) in detail and "Correct attendance" in detail

    form = client.get(correction_path(accepted, appointment)).get_data(as_text=True)
    assert "did not attend, unexplained" in form
    assert "Why are you correcting this?" in form
    assert "govuk-radios__conditional" in form  # the absence reason, revealed for "did not attend"
    assert "The referral stays in progress" in form

    response = post_form(
        client, correction_path(accepted, appointment), {"status": "attended", "reason": REASON}
    )
    assert response.status_code == 302
    assert appointment.status == AppointmentStatus.ATTENDED
    detail = client.get(f"/referrals/{accepted.referral.id}").get_data(as_text=True)
    assert "Attendance corrected" in detail
    assert f"to attended by Pat Provider: {REASON}" in detail
    assert "Corrected (see the timeline)" in detail


def test_the_page_shows_errors_for_bad_input(client: FlaskClient, accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    sign_in(client, accepted.provider.email)
    response = post_form(
        client, correction_path(accepted, appointment), {"status": "did_not_attend"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in page
    assert "Select why the person did not attend" in page
    assert "Enter why you are correcting the attendance" in page
    assert appointment.status == AppointmentStatus.ATTENDED


def test_the_page_refuses_a_correction_that_changes_nothing(
    client: FlaskClient, accepted: Sides
) -> None:
    appointment = recorded(accepted, "attended")
    sign_in(client, accepted.provider.email)
    same = post_form(
        client, correction_path(accepted, appointment), {"status": "attended", "reason": REASON}
    )
    assert same.status_code == 400
    assert "already recorded as attended" in same.get_data(as_text=True)


def test_the_referrer_sees_no_link_and_is_refused(client: FlaskClient, accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    sign_in(client, accepted.referrer.email)
    detail = client.get(f"/referrals/{accepted.referral.id}").get_data(as_text=True)
    assert "Correct attendance" not in detail
    assert client.get(correction_path(accepted, appointment)).status_code == 403


def test_another_provider_gets_a_404(client: FlaskClient, accepted: Sides) -> None:
    appointment = recorded(accepted, "attended")
    sign_in(client, provider_user().email)
    assert client.get(correction_path(accepted, appointment)).status_code == 404


def test_the_page_refuses_an_appointment_with_nothing_recorded(
    client: FlaskClient, accepted: Sides
) -> None:
    appointment = past_appointment(accepted)
    sign_in(client, accepted.provider.email)
    response = client.get(correction_path(accepted, appointment), follow_redirects=True)
    assert "there is nothing to correct" in response.get_data(as_text=True)


# The API -----------------------------------------------------------------------------------------


def bearer(user) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {issue_token(user, 'case system')}"}


def api_path(sides: Sides, appointment: Appointment) -> str:
    return f"/api/v1{correction_path(sides, appointment)}"


def test_the_api_corrects_an_attendance(client: FlaskClient, accepted: Sides) -> None:
    appointment = recorded(accepted, "did_not_attend", "unknown")
    response = client.post(
        api_path(accepted, appointment),
        json={"status": "late", "reason": REASON},
        headers=bearer(accepted.provider),
    )
    assert response.status_code == 200
    assert response.json["status"] == "late" and response.json["absence_reason"] is None


def test_the_api_answers_409_when_nothing_is_recorded(client: FlaskClient, accepted: Sides) -> None:
    response = client.post(
        api_path(accepted, past_appointment(accepted)),
        json={"status": "attended", "reason": REASON},
        headers=bearer(accepted.provider),
    )
    assert response.status_code == 409
    assert "nothing to correct" in response.json["errors"][0]["message"]


def test_the_api_answers_409_when_the_referral_is_closed(
    client: FlaskClient, accepted: Sides
) -> None:
    appointment = recorded(accepted, "late")
    lifecycle.complete(accepted.referral, accepted.provider, "met")
    response = client.post(
        api_path(accepted, appointment),
        json={"status": "attended", "reason": REASON},
        headers=bearer(accepted.provider),
    )
    assert response.status_code == 409
    assert (
        "only while a referral is accepted or in progress" in response.json["errors"][0]["message"]
    )


@pytest.mark.parametrize(
    "body,field",
    [
        ({"status": "attended"}, "reason"),
        ({"status": "maybe", "reason": REASON}, "status"),
        ({"status": "did_not_attend", "reason": REASON}, "absence_reason"),
        ({"status": "late", "reason": REASON}, "status"),  # already late: nothing changes
    ],
)
def test_the_api_answers_422_for_bad_input(
    client: FlaskClient, accepted: Sides, body: dict, field: str
) -> None:
    appointment = recorded(accepted, "late")
    response = client.post(
        api_path(accepted, appointment), json=body, headers=bearer(accepted.provider)
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field


def test_the_api_refuses_the_referrer_403_and_another_provider_404(
    client: FlaskClient, accepted: Sides
) -> None:
    appointment = recorded(accepted, "attended")
    body = {"status": "late", "reason": REASON}
    referrer = client.post(
        api_path(accepted, appointment), json=body, headers=bearer(accepted.referrer)
    )
    assert referrer.status_code == 403
    other = client.post(api_path(accepted, appointment), json=body, headers=bearer(provider_user()))
    assert other.status_code == 404
    assert appointment.status == AppointmentStatus.ATTENDED
