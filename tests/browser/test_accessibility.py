"""Every main page, for each kind of user, checked with axe-core against WCAG 2.2 AA.

The pages are rendered by the real application on the demo data in Debian Chromium; axe
(from npm, injected from node_modules, never downloaded) reports what a machine can find:
missing labels, broken ARIA, duplicate ids, contrast, focusable content hidden from
assistive technology. Error states are checked too, since they are where forms most often
fail people. What a machine cannot judge (the wording, whether the order makes sense) is
not claimed here.

One finding is set aside, and only that one: ``aria-expanded`` on a GOV.UK radio that
conditionally reveals a question. GOV.UK Frontend sets it deliberately, because screen
readers announce it, although ARIA does not list it for radios (alphagov/govuk-frontend
#979, a documented known issue). Any other attribute, or the same one anywhere else,
still fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.directory.models import Service, ServiceStatus
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.people.models import NeedsAssessment, Person
from marketplace.referrals import services
from marketplace.referrals.models import AppointmentStatus, Referral, ReferralState
from marketplace.referrals.person_links import issue_link
from marketplace.seeding.demo import DEMO_PASSWORD, build_demo
from tests.factories import AppointmentFactory, ReferralFactory

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@dataclass(frozen=True)
class Demo:
    organisation_id: int
    service_id: int
    pending_organisation_id: int
    person_id: int
    assessment_id: int
    referral_id: int
    person_token: str
    missed_appointment_id: int  # recorded, so its attendance can be corrected
    shared_feedback_id: int  # shared on the demo service's page, with a reply


@pytest.fixture
def demo(app: Flask) -> Demo:
    """The demo data set, plus a referral to the demo provider with an appointment."""
    with app.app_context():
        build_demo()
        provider = db.session.scalar(
            select(User).where(User.email == "provider.admin@pathways.example")
        )
        assert provider is not None
        organisation = provider.memberships[0].organisation
        service = db.session.scalar(
            select(Service)
            .where(
                Service.organisation_id == organisation.id,
                Service.status == ServiceStatus.PUBLISHED,
            )
            .order_by(Service.id)
            .limit(1)
        )
        assert service is not None
        pending = db.session.scalar(
            select(Organisation).where(Organisation.status == VerificationStatus.PENDING)
        )
        assert pending is not None
        person = db.session.scalar(select(Person).where(Person.reference == "JD-2026-0141"))
        assert person is not None
        assessment = db.session.scalar(
            select(NeedsAssessment).where(NeedsAssessment.person_id == person.id)
        )
        assert assessment is not None
        referrer = db.session.scalar(select(User).where(User.email == "referrer@pathways.example"))
        referral: Referral = ReferralFactory(
            service=service,
            person=person,
            referrer=referrer,
            agency=person.agency,
            state=ReferralState.ACCEPTED,
        )
        AppointmentFactory(referral=referral, starts_at=utcnow() + timedelta(days=2))
        missed = AppointmentFactory(
            referral=referral,
            starts_at=utcnow() - timedelta(days=3),
            status=AppointmentStatus.DID_NOT_ATTEND,
            absence_reason="illness",
            absence_explained=True,
        )
        token = issue_link(referral)
        # A completed referral whose comment is shared on the service's page, replied to.
        earlier: Referral = ReferralFactory(
            service=service,
            person=person,
            referrer=referrer,
            agency=person.agency,
            state=ReferralState.COMPLETED,
        )
        shared = services.give_feedback(
            earlier,
            actor=referrer,
            rating=4,
            comments="Quick to respond, and kept me updated.",
            shared=True,
        )
        services.reply_to_feedback(shared, provider, "Thank you: we will keep it up.")
        ids = Demo(
            organisation_id=organisation.id,
            service_id=service.id,
            pending_organisation_id=pending.id,
            person_id=person.id,
            assessment_id=assessment.id,
            referral_id=referral.id,
            person_token=token,
            missed_appointment_id=missed.id,
            shared_feedback_id=shared.id,
        )
        commit()
        db.session.remove()
    return ids


def violations(page: Any) -> list[str]:  # noqa: ANN401
    """axe's WCAG A/AA violations on the page as loaded, one line per failing element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, elementRef: true});
            // GOV.UK's conditional reveal: aria-expanded on its radio, and nothing else.
            const govukReveal = (v, n) => v.id === "aria-allowed-attr"
              && n.element && n.element.matches(
                "input.govuk-radios__input[type=radio][aria-controls^='conditional-']")
              && [...n.any, ...n.all, ...n.none].every(check => check.data
                && check.data.values.every(value => value.startsWith("aria-expanded=")));
            return r.violations.map(v => ({id: v.id, help: v.help,
              targets: v.nodes.filter(n => !govukReveal(v, n))
                .map(n => n.target.join(" "))}));
        }""",
        WCAG_TAGS,
    )
    return [f"{v['id']} ({v['help']}): {target}" for v in result for target in v["targets"]]


def note(page: Any, label: str, found: dict[str, list[str]]) -> None:  # noqa: ANN401
    """Add the page's violations, if any, to ``found`` under ``label``."""
    problems = violations(page)
    if problems:
        found[label] = problems


def check(page: Any, path: str, found: dict[str, list[str]], status: int = 200) -> None:  # noqa: ANN401
    response = page.goto(path)
    assert response is not None and response.status == status, (
        f"{path}: {response and response.status}"
    )
    note(page, path, found)


def sign_in(page: Any, email: str) -> None:  # noqa: ANN401
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}\n  " + "\n  ".join(problems) for path, problems in found.items())


def test_public_pages_and_their_error_states(page, demo: Demo) -> None:  # noqa: ANN001
    found: dict[str, list[str]] = {}
    for path in [
        "/",
        "/sign-in",
        "/register",
        "/forgot-password",
        "/about-the-data",
        "/accessibility",
        "/directory/",
        f"/directory/organisations/{demo.organisation_id}",
        f"/directory/services/{demo.service_id}",
        f"/p/{demo.person_token}",
    ]:
        check(page, path, found)

    # Error summaries and messages: a sign-in and a registration with nothing filled in.
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".govuk-error-summary")
    note(page, "/sign-in (errors)", found)
    page.goto("/register")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_selector(".govuk-error-summary")
    note(page, "/register (errors)", found)
    assert not found, report(found)


def test_referrer_pages_from_assessment_to_sent_referral(page, demo: Demo) -> None:  # noqa: ANN001
    found: dict[str, list[str]] = {}
    sign_in(page, "referrer@pathways.example")
    for path in [
        "/dashboard",
        "/search?postcode=SE1+7PB&taxonomy_term_id=accommodation",
        "/people",
        "/people/new",
        f"/people/{demo.person_id}",
        f"/people/{demo.person_id}/edit",
        f"/assessments/{demo.assessment_id}",
        f"/assessments/{demo.assessment_id}/edit",
        f"/assessments/{demo.assessment_id}/matches",
        f"/assessments/{demo.assessment_id}/services/{demo.service_id}",
        f"/directory/services/{demo.service_id}",  # with "What people said"
        "/referrals",
        f"/referrals/{demo.referral_id}",
        f"/referrals/{demo.referral_id}/withdraw",
    ]:
        check(page, path, found)
    check(page, "/search?postcode=NOT+A+POSTCODE", found, status=400)

    # The confirmation page, then the same page with its errors (no consent given).
    page.goto(f"/assessments/{demo.assessment_id}/matches")
    page.get_by_role("button", name="Refer").first.click()
    page.wait_for_selector("form")
    note(page, "confirmation", found)
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_selector(".govuk-error-summary")
    note(page, "confirmation (errors)", found)
    assert not found, report(found)


def test_provider_pages(page, demo: Demo) -> None:  # noqa: ANN001
    found: dict[str, list[str]] = {}
    sign_in(page, "provider.admin@pathways.example")
    organisation, service, referral = demo.organisation_id, demo.service_id, demo.referral_id
    correction = (
        f"/referrals/{referral}/appointments/{demo.missed_appointment_id}/attendance/correction"
    )
    for path in [
        "/dashboard",
        "/referrals",
        f"/referrals/{referral}",
        f"/referrals/{referral}/cancel",
        f"/referrals/{referral}/appointments/new",
        correction,
        "/referrals/ratings",
        f"/referrals/ratings/{demo.shared_feedback_id}/reply",
        f"/organisations/{organisation}/setup",
        f"/organisations/{organisation}/details",
        f"/organisations/{organisation}/services",
        f"/organisations/{organisation}/services/new",
        f"/organisations/{organisation}/services/upload",
        f"/organisations/{organisation}/capacity",
        f"/organisations/{organisation}/locations",
        f"/organisations/{organisation}/locations/new",
        f"/organisations/{organisation}/team",
        f"/services/{service}",
        f"/services/{service}/history",
    ]:
        check(page, path, found)

    # The correction form with its errors, the absence reasons revealed.
    page.goto(correction)
    page.get_by_label("Did not attend").check()
    page.get_by_role("button", name="Correct attendance").click()
    page.wait_for_selector(".govuk-error-summary")
    note(page, "correction (errors)", found)
    assert not found, report(found)


def test_admin_and_commissioner_pages(page, browser, live_server: str, demo: Demo) -> None:  # noqa: ANN001
    found: dict[str, list[str]] = {}
    sign_in(page, "admin@pathways.example")
    for path in [
        "/dashboard",
        "/admin/organisations",
        "/admin/organisations?status=changed",
        f"/admin/organisations/{demo.pending_organisation_id}",
        f"/admin/organisations/{demo.pending_organisation_id}/reject",
        "/admin/notifications",
        "/admin/import",
        "/admin/feedback",
        f"/admin/feedback/{demo.shared_feedback_id}/hide",
    ]:
        check(page, path, found)

    # A hidden comment on the list, with its "Show again" button, then shown again (other
    # tests read the demo's shared comment).
    page.goto(f"/admin/feedback/{demo.shared_feedback_id}/hide")
    page.get_by_label("Why are you hiding this comment?").fill("Checking the hidden state")
    page.get_by_role("button", name="Hide comment").click()
    page.wait_for_selector("text=Comment hidden from the service's page")
    note(page, "shared comments (one hidden)", found)
    page.get_by_role("button", name="Show again").first.click()
    page.wait_for_selector("text=Comment shown on the service's page again")

    commissioner = browser.new_context(base_url=live_server).new_page()
    sign_in(commissioner, "commissioner@pathways.example")
    check(commissioner, "/dashboard", found)
    assert not found, report(found)
