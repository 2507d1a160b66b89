"""The whole referral journey in a real browser, across the three sides: the provider
accepts, books an appointment, the person checks in through their link, the provider
records attendance and completes with an outcome, all three sides give feedback (the person
shares theirs on the service's page), the service's rating changes and the referrer sees
every step on their timeline and the shared comment on the service's page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.database import utcnow
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.notifications.models import OutboxMessage
from marketplace.referrals.models import Appointment, Referral, ReferralState
from marketplace.referrals.ratings import service_rating
from marketplace.referrals.sla import LONDON
from marketplace.referrals.timeline import add_event
from tests.factories import (
    PASSWORD,
    LocationFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"


def see(page, text: str) -> None:  # noqa: ANN001
    """Wait until ``text`` is on the page (after a form submission navigates)."""
    expect(page.locator("body")).to_contain_text(text)


def sign_in(page, base: str, email: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard")


@pytest.mark.browser
def test_referral_journey_across_provider_person_and_referrer(
    app: Flask, live_server: str, browser
) -> None:  # noqa: ANN001
    with app.app_context():
        organisation = OrganisationFactory(
            name="Second Chance Housing", email="team@secondchance.example"
        )
        location = LocationFactory(organisation=organisation, name="Camden hub")
        service = ServiceFactory(
            organisation=organisation,
            name="Housing first support",
            at=location,
            capacity=10,
            places_taken=1,
            rating_sum=8,
            rating_count=2,
        )
        provider_user(organisation, name="Pat Provider", email="pat@secondchance.example")
        person = PersonFactory(reference="CRN-A123456", email="person@example.org")
        referrer = UserFactory(
            role=Role.REFERRER,
            agency=person.agency,
            name="Rita Referrer",
            email="rita@probation.example",
        )
        referral = ReferralFactory(
            service=service, person=person, referrer=referrer, holds_place=True, location=location
        )
        add_event(referral, "sent", "Sent by Rita Referrer", actor=referrer)
        ReferralFactory(service=service, sent_at=utcnow() - timedelta(days=6))  # an overdue one
        referral_id, reference, service_id = referral.id, referral.reference, service.id
        before = service_rating(service.rating_sum, service.rating_count)
        commit()
        db.session.remove()

    base = live_server
    staff = browser.new_context().new_page()
    sign_in(staff, base, "pat@secondchance.example")

    # The inbox shows the new referral; the provider opens and accepts it.
    staff.goto(f"{base}/referrals")
    assert staff.get_by_role("link", name=reference).is_visible()
    staff.screenshot(path=SCREENSHOTS / "inbox.png", full_page=True)
    staff.get_by_role("link", name=reference).click()
    staff.get_by_role("button", name="Accept referral").click()
    see(staff, "Referral accepted")

    # Book an appointment starting in 30 minutes (London time).
    starts = (utcnow() + timedelta(minutes=30)).astimezone(LONDON)
    staff.get_by_role("link", name="Book an appointment").click()
    staff.get_by_label("Day").fill(str(starts.day))
    staff.get_by_label("Month").fill(str(starts.month))
    staff.get_by_label("Year").fill(str(starts.year))
    staff.get_by_label("Start time").fill(starts.strftime("%H:%M"))
    staff.get_by_role("radio", name="In person").check()
    staff.get_by_label("Where (for an appointment in person)").select_option(label="Camden hub")
    staff.get_by_role("button", name="Book appointment").click()
    see(staff, "Appointment booked")

    # The person opens the link from their message and checks in.
    with app.app_context():
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.template == "appointment_booked")
        )
        link = message.personalisation["link"]
        db.session.remove()
    assert link.startswith(base + "/p/")
    person_page = browser.new_context().new_page()
    person_page.goto(link)
    see(person_page, "Housing first support")
    person_page.screenshot(path=SCREENSHOTS / "person_link.png", full_page=True)
    person_page.get_by_role("button", name="Check in: I am here").click()
    see(person_page, "You have checked in")

    # Time passes: the appointment has now started.
    with app.app_context():
        appointment = db.session.scalar(
            select(Appointment).where(Appointment.referral_id == referral_id)
        )
        appointment.starts_at = utcnow() - timedelta(minutes=5)
        commit()
        db.session.remove()

    staff.goto(f"{base}/referrals/{referral_id}")
    see(staff, "Person checked in")
    staff.get_by_role("link", name="Record attendance").click()
    staff.get_by_role("radio", name="Attended", exact=True).check()
    staff.get_by_label("Engagement notes (optional)").fill("Engaged well; housing form started.")
    staff.get_by_role("button", name="Record attendance").click()
    see(staff, "Attendance recorded")

    staff.get_by_role("link", name="Complete referral").click()
    staff.get_by_role("radio", name="Needs met", exact=True).check()
    staff.get_by_label("End-of-service summary").fill("Moved into a supported flat.")
    staff.get_by_role("button", name="Complete referral").click()
    see(staff, "Referral completed")
    staff.screenshot(path=SCREENSHOTS / "referral_provider.png", full_page=True)

    staff.get_by_role("link", name="Give feedback").click()
    staff.get_by_role("radio", name="4 – Good").check()
    staff.get_by_role("button", name="Send feedback").click()
    see(staff, "Thank you for your feedback")

    # The person gives feedback through the same link.
    person_page.goto(link)
    person_page.get_by_role("link", name="Give feedback").click()
    person_page.get_by_role("radio", name="5 – Very good").check()
    person_page.get_by_label("Comments (optional)").fill("They found me somewhere to live.")
    person_page.get_by_label("Share this comment on the service's page").check()
    person_page.get_by_role("button", name="Send feedback").click()
    see(person_page, "Thank you for your feedback")

    # The referrer sees every step on the timeline and rates the service.
    referrer_page = browser.new_context().new_page()
    sign_in(referrer_page, base, "rita@probation.example")
    referrer_page.goto(f"{base}/referrals")
    referrer_page.get_by_role("link", name="All").click()
    referrer_page.get_by_role("link", name=reference).click()
    timeline = referrer_page.locator(".app-timeline").inner_text()
    for step in (
        "Sent by Rita Referrer",
        "Accepted by Pat Provider",
        "Appointment booked",
        "The person checked in",
        "Attended on",
        "Started (first attendance)",
        "Completed by Pat Provider",
        "Feedback from Pat Provider",
        "Feedback from the person referred",
    ):
        assert step in timeline, step
    referrer_page.get_by_role("link", name="Give feedback").click()
    referrer_page.get_by_role("radio", name="5 – Very good").check()
    referrer_page.get_by_role("button", name="Send feedback").click()
    see(referrer_page, "Thank you for your feedback")
    referrer_page.screenshot(path=SCREENSHOTS / "referral_referrer.png", full_page=True)

    # The person shared their comment: referrers choosing the service read it, unnamed.
    referrer_page.goto(f"{base}/directory/services/{service_id}")
    said = referrer_page.locator("#what-people-said ~ .app-message").first.inner_text()
    assert "The person referred" in said and "They found me somewhere to live." in said
    assert "Very good (5 out of 5)" in said

    with app.app_context():
        service = db.session.get(Service, service_id)
        after = service_rating(service.rating_sum, service.rating_count)
        referral = db.session.get(Referral, referral_id)
        assert referral.state == ReferralState.COMPLETED and referral.holds_place is False
        assert service.places_taken == 0
        assert after.count == before.count + 2  # the referrer's and the person's
        assert after.smoothed > before.smoothed
        db.session.remove()
