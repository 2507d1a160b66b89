"""Each role signs in through the real browser and sees its own dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import Role
from marketplace.jobs import commit
from tests.factories import PASSWORD, UserFactory, provider_user

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"

EXPECTED = {
    "platform_admin": "Organisations waiting for verification",
    "provider_admin": "Services",
    "referrer": "open referral",
    "commissioner": "Your areas",
}


def _make_user(kind: str):  # noqa: ANN202
    if kind == "provider_admin":
        return provider_user(name="Pat Provider")
    return UserFactory(role=Role(kind))


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_role_signs_in_and_sees_its_dashboard(page, committed, kind: str) -> None:  # noqa: ANN001
    user = _make_user(kind)
    email, name = user.email, user.name
    commit()

    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert EXPECTED[kind] in page.content()
    assert f"Signed in as {name}" in page.content()
    # GOV.UK Frontend's stylesheet really loaded (the navigation is styled, not default).
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.govuk-service-navigation')).backgroundColor"
    ) not in ("", "rgba(0, 0, 0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{kind}.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out.")


def test_wrong_password_shows_the_error_summary(page, committed) -> None:  # noqa: ANN001
    user = UserFactory()
    email = user.email
    commit()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    assert "Enter a correct email address and password" in summary.inner_text()
    assert page.title().startswith("Error: ")
