"""The busy inbox in a real browser: GOV.UK layout, tabs, overdue flags, pages, links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import expect

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.referrals.models import ReferralState
from tests.browser.test_referral_journey import SCREENSHOTS, sign_in
from tests.factories import OrganisationFactory, ReferralFactory, ServiceFactory, provider_user


@pytest.mark.browser
def test_a_busy_inbox_pages_through_referrals_and_opens_one(
    app: Flask,
    live_server: str,
    browser,  # noqa: ANN001
) -> None:
    with app.app_context():
        organisation = OrganisationFactory(name="Second Chance Housing")
        service = ServiceFactory(organisation=organisation, name="Housing first support")
        provider_user(organisation, name="Pat Provider", email="pat@secondchance.example")
        for days in range(60):
            ReferralFactory(service=service, sent_at=utcnow() - timedelta(days=days, hours=1))
        ReferralFactory(service=service, state=ReferralState.ACCEPTED)
        commit()
        db.session.remove()

    page = browser.new_context().new_page()
    sign_in(page, live_server, "pat@secondchance.example")
    page.goto(f"{live_server}/referrals")

    expect(page.get_by_role("heading", name="Referral inbox")).to_be_visible()
    expect(page.get_by_role("link", name="New (60)")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="All (61)")).to_be_visible()
    expect(page.locator("caption")).to_have_text("60 referrals, page 1 of 3")
    # Overdue in words, not only in colour: the oldest come first.
    expect(page.locator("tbody tr").first).to_contain_text("Overdue")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "busy_inbox.png", full_page=True)

    page.get_by_role("link", name="Next page").click()
    expect(page.locator("caption")).to_have_text("60 referrals, page 2 of 3")
    expect(page.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Page 3").click()
    expect(page.locator("caption")).to_have_text("60 referrals, page 3 of 3")
    expect(page.locator("tbody tr")).to_have_count(10)

    reference = page.locator("tbody tr a").first.inner_text()
    page.locator("tbody tr a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
