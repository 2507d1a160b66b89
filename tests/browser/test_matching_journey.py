"""The referrer's journey in a real browser: assess a person, see explained matches, and
send a referral in at most three clicks from the matches page."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.jobs import commit
from tests.factories import (
    PASSWORD,
    PersonFactory,
    UserFactory,
    point,
    service_at,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
SE1 = (51.5045, -0.0865)  # Borough, London


class ClickCounter:
    """Counts the clicks a person makes, so the journey's length is measured, not assumed."""

    def __init__(self) -> None:
        self.count = 0

    def click(self, locator) -> None:  # noqa: ANN001
        locator.click()
        self.count += 1


@pytest.fixture
def demo_person(committed, app):  # noqa: ANN001, ANN201
    """A probation referrer, their person living in SE1, and services nearby."""
    app.config["MAP_TILE_URL"] = ""  # no tiles from the internet in tests: markers only
    referrer = UserFactory(name="Rachel Green")
    person = PersonFactory(
        agency=referrer.agency,
        reference="JD-2026-0141",
        postcode="SE1 9SG",
        point=point(*SE1),
        age=34,
        gender="male",
        contact_preference="Contact me (the referrer) first",
    )
    service_at(
        51.4975,
        -0.0710,
        name="Southwark Housing Advice",
        need_codes=["accommodation"],
        capacity=8,
        rating_count=38,
        rating_sum=171,
    )
    service_at(51.5155, -0.0922, name="City Jobs Club", need_codes=["ete.employment"])
    service_at(
        51.4613,
        -0.1156,
        name="Brixton Women's Centre",
        need_codes=["accommodation"],
        genders=["female"],
    )
    details = {"email": referrer.email, "person_id": person.id}
    commit()
    yield details
    app.config["MAP_TILE_URL"] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _shot(page, name: str) -> None:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_referrer_assesses_sees_explained_matches_and_refers_in_two_clicks(
    page,
    demo_person,  # noqa: ANN001
) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_person["email"])
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")

    page.get_by_role("link", name="People").click()
    assert "JD-2026-0141" in page.locator("table").inner_text()
    _shot(page, "people")
    page.get_by_role("link", name="JD-2026-0141").click()
    page.get_by_role("button", name="Assess needs").click()
    page.get_by_role("group", name="Accommodation").get_by_label("High").check()
    page.get_by_role("group", name="Education, training and employment").get_by_label(
        "Medium"
    ).check()
    page.get_by_label("Summary for services (optional)").fill(
        "Leaves custody on Friday with nowhere to stay. Keen to work."
    )
    page.get_by_label("The person has agreed to be referred").check()
    _shot(page, "assessment-form")
    page.get_by_role("button", name="Save and see matches").click()

    page.wait_for_url("**/matches")
    assert page.get_by_role("heading", level=1).inner_text() == "Matching services"
    first = page.locator(".app-result").first
    assert "Southwark Housing Advice" in first.inner_text()
    assert "Covers 1 of 1 high need and 0 of 1 other need" in first.inner_text()
    assert "rated 4.5 from 38 ratings" in first.inner_text()
    # The two matches are on the map, numbered as in the list (close ones grouped).
    page.locator(".app-map-marker, .app-map-group").first.wait_for()
    grouped = page.locator(".app-map-group span:first-child").all_inner_texts()
    assert page.locator(".app-map-marker").count() + sum(map(int, grouped)) == 2
    assert "Accepts female people only" in page.content()  # why the third did not match
    _shot(page, "matches")

    clicks = ClickCounter()
    clicks.click(first.get_by_role("button", name="Refer to Southwark Housing Advice"))
    page.wait_for_url("**/refer?service=*")
    assert (
        page.get_by_label("Reason for the referral")
        .input_value()
        .startswith("Leaves custody on Friday")
    )
    assert page.get_by_label("The person has agreed to be referred").is_checked()
    _shot(page, "confirm-referral")
    clicks.click(page.get_by_role("button", name="Send referral"))

    page.wait_for_url("**/sent?referral=*")
    panel = page.locator(".govuk-panel")
    assert "Referral sent" in panel.inner_text()
    assert "PW-" in panel.inner_text()
    _shot(page, "referral-sent")
    assert clicks.count <= 3
    assert clicks.count == 2

    reference = panel.locator("strong").inner_text()
    page.get_by_role("link", name="Go to JD-2026-0141’s record").click()
    assert reference in page.locator("table").last.inner_text()
    _shot(page, "person")


def test_referrer_refers_to_two_services_for_different_needs_at_once(
    page,
    demo_person,  # noqa: ANN001
) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_person["email"])
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/people/{demo_person['person_id']}")
    page.get_by_role("button", name="Assess needs").click()
    page.get_by_role("group", name="Accommodation").get_by_label("High").check()
    page.get_by_role("group", name="Education, training and employment").get_by_label(
        "Medium"
    ).check()
    page.get_by_label("The person has agreed to be referred").check()
    page.get_by_role("button", name="Save and see matches").click()
    page.wait_for_url("**/matches")

    clicks = ClickCounter()
    clicks.click(page.get_by_label("Add to a referral to several services: Southwark Housing"))
    clicks.click(page.get_by_label("Add to a referral to several services: City Jobs Club"))
    clicks.click(page.get_by_role("button", name="Refer to the selected services"))
    page.wait_for_url("**/refer?service=*")
    clicks.click(page.get_by_role("button", name="Send 2 referrals"))

    page.wait_for_url("**/sent?referral=*")
    assert "2 referrals sent" in page.locator(".govuk-panel").inner_text()
    assert clicks.count == 4


def test_referrer_adds_a_person_fixing_what_the_form_points_out(page, demo_person) -> None:  # noqa: ANN001
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_person["email"])
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/people/new")

    page.get_by_label("Postcode (optional)").fill("not a postcode")
    page.get_by_role("button", name="Save and assess needs").click()

    summary = page.locator(".govuk-error-summary")
    assert "Enter a case reference or initials" in summary.inner_text()
    assert "Enter a real postcode, like SW1A 1AA" in summary.inner_text()
    assert page.title().startswith("Error: ")
    _shot(page, "person-form-errors")

    page.get_by_label("Case reference or initials").fill("AB-77")
    page.get_by_label("Age (optional)").fill("41")
    page.get_by_role("group", name="Gender").get_by_label("Female").check()
    page.get_by_label("Postcode (optional)").fill("se1")
    page.get_by_label("Community order").check()
    page.get_by_role("group", name="Risk of serious harm").get_by_label("Low").check()
    page.get_by_label("None of these").check()
    page.get_by_label("Phone the person").check()
    page.get_by_role("button", name="Save and assess needs").click()

    page.wait_for_url("**/assessments/*/edit")
    assert "AB-77 has been added" in page.content()
