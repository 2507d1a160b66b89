"""The provider inbox, the referrer's lists, the referral page and its actions through
the real forms, and who may see what."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.referrals import lifecycle
from marketplace.referrals.models import Appointment, ReferralState
from tests.factories import (
    AppointmentFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)
from tests.helpers import csrf_token, post_form, sign_in
from tests.inbox.conftest import Sides


def test_the_inbox_lists_the_organisations_referrals_with_tab_counts(
    client: FlaskClient, sides: Sides
) -> None:
    ReferralFactory(service=sides.service, state=ReferralState.ACCEPTED)
    ReferralFactory(service=sides.service, state=ReferralState.DECLINED)
    ReferralFactory(state=ReferralState.SENT)  # another organisation's
    sign_in(client, sides.provider.email)
    page = client.get("/referrals").get_data(as_text=True)
    assert sides.referral.reference in page
    assert 'New <span class="app-count">(1)</span>' in page
    assert 'Accepted <span class="app-count">(1)</span>' in page
    assert 'Closed <span class="app-count">(1)</span>' in page
    assert 'All <span class="app-count">(3)</span>' in page


def test_the_inbox_never_shows_another_providers_referrals(
    client: FlaskClient, sides: Sides
) -> None:
    other = provider_user()
    sign_in(client, other.email)
    page = client.get("/referrals?tab=all").get_data(as_text=True)
    assert sides.referral.reference not in page
    assert client.get(f"/referrals/{sides.referral.id}").status_code == 404


def test_overdue_referrals_are_flagged_in_words_and_filterable(
    client: FlaskClient, sides: Sides
) -> None:
    old = ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(days=10))
    sign_in(client, sides.provider.email)
    page = client.get("/referrals").get_data(as_text=True)
    assert "Overdue" in page and "1 new referral waited longer than 2 working days" in page
    overdue_only = client.get("/referrals?age=overdue").get_data(as_text=True)
    assert old.reference in overdue_only and sides.referral.reference not in overdue_only


def test_the_inbox_filters_by_service_and_searches_by_reference(
    client: FlaskClient, sides: Sides
) -> None:
    second = ServiceFactory(organisation=sides.referral.organisation, name="Debt advice")
    elsewhere = ReferralFactory(service=second)
    sign_in(client, sides.provider.email)
    by_service = client.get(f"/referrals?service={second.id}").get_data(as_text=True)
    assert elsewhere.reference in by_service and sides.referral.reference not in by_service
    found = client.get(f"/referrals?reference={sides.referral.reference[:6].lower()}").get_data(
        as_text=True
    )
    assert sides.referral.reference in found


def test_bad_filter_values_are_ignored_not_errors(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.provider.email)
    response = client.get("/referrals?tab=nope&page=-3&service=abc&age=99&sort=sideways")
    assert response.status_code == 200
    assert sides.referral.reference in response.get_data(as_text=True)


def test_the_inbox_paginates(client: FlaskClient, sides: Sides) -> None:
    for _ in range(26):
        ReferralFactory(service=sides.service)
    sign_in(client, sides.provider.email)
    first = client.get("/referrals").get_data(as_text=True)
    assert "page 1 of 2" in first
    second = client.get("/referrals?page=2").get_data(as_text=True)
    assert "page 2 of 2" in second


def test_referrers_see_my_referrals_and_my_agencys(client: FlaskClient, sides: Sides) -> None:
    colleague = UserFactory(agency=sides.referrer.agency)
    theirs = ReferralFactory(referrer=colleague, person__agency=sides.referrer.agency)
    outsider = ReferralFactory()
    sign_in(client, sides.referrer.email)
    mine = client.get("/referrals?tab=all").get_data(as_text=True)
    assert (
        "My referrals" in mine and sides.referral.reference in mine and theirs.reference not in mine
    )
    agency = client.get("/referrals?tab=all&scope=agency").get_data(as_text=True)
    assert theirs.reference in agency and outsider.reference not in agency


def test_the_referral_page_shows_needs_reason_contact_and_timeline(
    client: FlaskClient, sides: Sides
) -> None:
    sides.referrer.phone = "0161 496 0000"
    lifecycle.accept(sides.referral, sides.provider)
    sign_in(client, sides.provider.email)
    page = client.get(f"/referrals/{sides.referral.id}").get_data(as_text=True)
    assert "Accommodation" in page
    assert sides.referral.reason in page
    assert sides.referrer.email in page and "0161 496 0000" in page
    assert "Accepted by Pat Provider" in page


def test_a_provider_accepts_through_the_page(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.provider.email)
    path = f"/referrals/{sides.referral.id}"
    response = post_form(client, f"{path}/accept", {}, form_page=path)
    assert response.status_code == 302
    assert sides.referral.state == ReferralState.ACCEPTED
    assert "Referral accepted" in client.get(path).get_data(as_text=True)


def test_a_second_accept_shows_a_clear_message_not_an_error(
    client: FlaskClient, sides: Sides
) -> None:
    sign_in(client, sides.provider.email)
    path = f"/referrals/{sides.referral.id}"
    token = csrf_token(client, path)
    lifecycle.decline(sides.referral, sides.provider_member, "no_capacity")
    response = client.post(f"{path}/accept", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert "has already been declined, so it cannot be accepted" in response.get_data(as_text=True)


def test_decline_form_shows_govuk_errors(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.provider.email)
    path = f"/referrals/{sides.referral.id}/decline"
    response = post_form(client, path, {"reason_code": "other", "reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and "Explain the reason" in page
    post_form(client, path, {"reason_code": "no_capacity"})
    assert sides.referral.state == ReferralState.DECLINED


def test_a_referrer_withdraws_through_the_page(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.referrer.email)
    post_form(
        client, f"/referrals/{sides.referral.id}/withdraw", {"reason_code": "referred_in_error"}
    )
    assert sides.referral.state == ReferralState.WITHDRAWN


def test_a_referrer_cannot_open_the_decline_page(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.referrer.email)
    assert client.get(f"/referrals/{sides.referral.id}/decline").status_code == 403


def test_booking_through_the_page_in_london_time(client: FlaskClient, sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    sign_in(client, sides.provider.email)
    day = (utcnow() + timedelta(days=7)).date()
    path = f"/referrals/{sides.referral.id}/appointments/new"
    bad = post_form(
        client,
        path,
        {
            "day": [str(day.day), str(day.month), str(day.year)],
            "start_time": "25:00",
            "duration_minutes": "60",
            "mode": "in_person",
            "location_id": "0",
        },
    )
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "Enter a start time in the 24-hour clock, like 14:30" in page
    assert "Select where the appointment is" in page
    post_form(
        client,
        path,
        {
            "day": [str(day.day), str(day.month), str(day.year)],
            "start_time": "10:30",
            "duration_minutes": "45",
            "mode": "in_person",
            "location_id": str(sides.location.id),
        },
    )
    appointment = db.session.scalar(
        select(Appointment).where(Appointment.referral_id == sides.referral.id)
    )
    from marketplace.referrals.sla import LONDON

    local = appointment.starts_at.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute) == (day, 10, 30)
    assert appointment.duration_minutes == 45


def test_recording_attendance_through_the_page(client: FlaskClient, sides: Sides) -> None:
    lifecycle.accept(sides.referral, sides.provider)
    appointment = AppointmentFactory(
        referral=sides.referral, starts_at=utcnow() - timedelta(hours=1)
    )
    sign_in(client, sides.provider.email)
    path = f"/referrals/{sides.referral.id}/appointments/{appointment.id}/attendance"
    missing = post_form(client, path, {"status": "did_not_attend"})
    assert "Select why the person did not attend" in missing.get_data(as_text=True)
    post_form(client, path, {"status": "attended", "notes": "Good first session"})
    assert appointment.status.value == "attended"
    assert sides.referral.state == ReferralState.IN_PROGRESS


def test_messages_thread_on_the_page(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.referrer.email)
    path = f"/referrals/{sides.referral.id}"
    empty = post_form(client, f"{path}/messages", {"body": ""}, form_page=path)
    assert empty.status_code == 400 and "Enter a message" in empty.get_data(as_text=True)
    post_form(client, f"{path}/messages", {"body": "She prefers mornings."}, form_page=path)
    assert "She prefers mornings." in client.get(path).get_data(as_text=True)


def test_provider_sees_ratings_and_replies_once(client: FlaskClient, sides: Sides) -> None:
    from marketplace.referrals import services

    lifecycle.accept(sides.referral, sides.provider)
    lifecycle.start(sides.referral, sides.provider)
    lifecycle.complete(sides.referral, sides.provider, "met")
    feedback = services.give_feedback(
        sides.referral, actor=sides.referrer, rating=4, comments="Helpful team"
    )
    sign_in(client, sides.provider.email)
    page = client.get("/referrals/ratings").get_data(as_text=True)
    assert "Helpful team" in page and "4.0 out of 5" in page
    post_form(client, f"/referrals/ratings/{feedback.id}/reply", {"reply": "Thank you!"})
    assert feedback.provider_reply == "Thank you!"


def test_a_referrer_cannot_see_ratings_admin(client: FlaskClient, sides: Sides) -> None:
    sign_in(client, sides.referrer.email)
    assert client.get("/referrals/ratings").status_code == 403


def test_providers_never_see_drafts(client: FlaskClient, sides: Sides) -> None:
    draft = ReferralFactory(service=sides.service, state=ReferralState.DRAFT, sent_at=None)
    sign_in(client, sides.provider.email)
    assert client.get(f"/referrals/{draft.id}").status_code == 404
