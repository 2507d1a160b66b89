"""A new charity signs up, adds a service with two locations (one confidential), a
platform admin verifies it, and it appears in the public directory: through a real
browser, with screenshots of the main pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import delete

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.geography.models import Postcode
from marketplace.jobs import commit
from tests.factories import PASSWORD, UserFactory, known_postcodes

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


def shot(page, name: str) -> None:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"onboarding-{name}.png"), full_page=True)


def sign_out(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Sign out").click()


@pytest.fixture
def no_tiles(app: Flask):  # noqa: ANN201
    """Tiles that cannot load (as when the tile server is unreachable): the map must still
    show its markers and the page its list."""
    original = app.config["MAP_TILE_URL"]
    app.config["MAP_TILE_URL"] = "/static/no-tiles/{z}/{x}/{y}.png"
    yield
    app.config["MAP_TILE_URL"] = original


@pytest.fixture
def leeds_postcode(app: Flask):  # noqa: ANN201
    """LS1 1UR is outside the test postcode slice: this committing test adds it, and takes
    it out again so that reference data stays as the template has it for later tests."""
    yield "LS1 1UR"
    with app.app_context():
        db.session.execute(delete(Postcode).where(Postcode.postcode == "LS1 1UR"))
        db.session.commit()


def test_charity_signs_up_publishes_and_is_verified_into_the_directory(
    page, committed, no_tiles, leeds_postcode
) -> None:  # noqa: ANN001
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    known_postcodes("SW1A 1AA", leeds_postcode)
    admin = UserFactory(role=Role.PLATFORM_ADMIN, email="admin@pathways.example")
    admin_email = admin.email
    commit()

    # Sign up.
    page.goto("/register")
    page.get_by_label("Your full name").fill("Sam Founder")
    page.get_by_label("Your email address").fill("sam@brightstart.example")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    page.get_by_label("Organisation name").fill("Bright Start Women's Trust")
    page.get_by_label("Registered charity number (if you have one)").fill("1191919")
    page.get_by_label("What your organisation does").fill(
        "Support and refuge for women leaving prison."
    )
    page.get_by_label("Contact email address").fill("hello@brightstart.example")
    page.get_by_label("Safeguarding lead’s full name").fill("Pat Safe")
    page.get_by_label("Safeguarding lead’s email address").fill("safe@brightstart.example")
    page.get_by_role("button", name="Create account and continue").click()
    page.wait_for_url("**/setup")
    assert page.get_by_role("heading", level=1).inner_text() == "Set up your organisation"
    shot(page, "setup")

    # Two locations, one of them confidential.
    page.get_by_role("link", name="Locations").first.click()
    for name, line, town, postcode, hidden in (
        ("City hub", "1 The Mall", "London", "SW1A 1AA", False),
        ("Refuge", "9 Quiet Street", "Leeds", "ls1 1ur", True),
    ):
        page.get_by_role("link", name="Add a location").click()
        page.get_by_label("Location name").fill(name)
        page.get_by_label("Address line 1").fill(line)
        page.get_by_label("Town or city").fill(town)
        page.get_by_label("Postcode").fill(postcode)
        if hidden:
            page.get_by_label("Keep this address confidential").check()
        page.get_by_role("button", name="Save location").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{name} is saved.")
    try:
        page.wait_for_selector(".leaflet-interactive", timeout=5000)
    except Exception:
        raise AssertionError(f"No map markers; browser errors: {errors}") from None
    assert page.locator(".leaflet-interactive").count() == 2  # both pins for the provider
    shot(page, "locations")

    # A service, section by section, then check your answers and publish.
    page.get_by_role("link", name="Services", exact=True).first.click()
    page.get_by_role("link", name="Add a service").click()
    page.get_by_label("Service name").fill("Women's resettlement support")
    page.get_by_label("Summary").fill("Housing and one-to-one support after release")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Any accommodation need").check()
    page.get_by_role("group", name="Needs the service meets").get_by_label("Domestic abuse").check()
    page.get_by_label("Minimum age (optional)").fill("18")
    page.get_by_label("Female", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("In person").check()
    page.get_by_label("Professional referral").check()
    page.get_by_label("City hub").check()
    page.get_by_label("Refuge").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Yes, a set number of places").check()
    page.get_by_label("Total number of places").fill("12")
    page.get_by_label("Places available").check()
    page.get_by_label("Current waiting time in days (optional)").fill("7")
    page.get_by_role("button", name="Save and continue").click()
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Check your answers before publishing"
    )
    shot(page, "check-answers")
    page.get_by_role("button", name="Publish service").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "will appear in search once your organisation has been verified"
    )

    # Send for verification.
    page.get_by_role("link", name="Back to services").click()
    page.get_by_role("link", name="Set-up tasks").click()
    page.get_by_role("button", name="Send for verification").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Sent for verification")
    sign_out(page)

    # Not public yet.
    page.goto("/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory of services")
    assert "Bright Start Women's Trust" not in page.content()

    # A platform admin verifies it.
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin_email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/admin/organisations")
    shot(page, "queue")
    page.get_by_role("link", name="Bright Start Women's Trust").click()
    page.get_by_role("button", name="Verify organisation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Bright Start Women's Trust is verified."
    )
    sign_out(page)

    # Anyone can now find it in the directory.
    page.goto("/directory/")
    page.get_by_role("link", name="Bright Start Women's Trust").click()
    page.get_by_role("link", name="Women's resettlement support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Women's resettlement support")
    content = page.content()
    assert "1 The Mall" in content
    assert "A confidential location in Leeds" in content
    assert "9 Quiet Street" not in content and "LS1 1UR" not in content and "Refuge" not in content
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator(".leaflet-interactive").count() == 1  # only the public location
    assert page.locator("#service-locations li").count() == 2  # both listed as text
    shot(page, "public-service")
