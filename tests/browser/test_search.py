"""A referrer searches by postcode and need in a real browser: results nearest first, the
filter panel and tags, the map with one marker per shown location; and without JavaScript
everything but the map still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.accounts.models import Role
from marketplace.jobs import commit
from tests.factories import (
    PASSWORD,
    LocationFactory,
    OrganisationFactory,
    ServiceFactory,
    UserFactory,
    point,
)
from tests.search.places import POSTCODES

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


@pytest.fixture
def directory(committed: None) -> str:
    """A small Manchester directory, committed so the live server sees it; returns the
    referrer's e-mail. Uses the real M, SK and OL postcodes of the test database (adding
    postcodes here would commit them into reference data other tests count)."""
    charity = OrganisationFactory(name="Northern Housing Trust")
    recovery = OrganisationFactory(name="Recovery Republic")
    places = {
        code: LocationFactory(
            organisation=charity if n % 2 else recovery,
            name=f"{town} hub",
            town=town,
            postcode=code,
            point=point(*POSTCODES[code][:2]),
            hidden=hidden,
        )
        for n, (code, town, hidden) in enumerate(
            [
                ("M4 5JD", "Manchester", False),
                ("M13 9PL", "Manchester", False),
                ("M32 0JG", "Trafford", True),
                ("SK1 3XE", "Stockport", False),
                ("OL1 1NL", "Oldham", False),
            ]
        )
    }
    ServiceFactory(
        organisation=charity,
        name="Housing first",
        at=places["M4 5JD"],
        summary="A home first, then support to keep it.",
        need_codes=["accommodation.homeless"],
        capacity=6,
        places_taken=2,
        waiting_days=0,
        rating_sum=46,
        rating_count=10,
    )
    ServiceFactory(
        organisation=recovery,
        name="Recovery café",
        at=[places["M13 9PL"], places["OL1 1NL"]],
        summary="Peer support in a sober space.",
        need_codes=["drugs_alcohol.recovery_community"],
        delivery_modes=["in_person", "outreach"],
        waiting_days=14,
    )
    ServiceFactory(
        organisation=charity,
        name="Women's refuge",
        at=places["M32 0JG"],
        summary="Safe accommodation for women and children.",
        need_codes=["accommodation", "women.domestic_abuse"],
        genders=["female"],
        capacity=4,
        places_taken=4,
    )
    ServiceFactory(
        organisation=recovery,
        name="Tenancy rescue",
        at=places["SK1 3XE"],
        summary="Stopping evictions before they happen.",
        need_codes=["accommodation.tenancy_support"],
        delivery_modes=["outreach", "remote"],
        capacity_status="waiting_list",
        waiting_days=21,
    )
    referrer = UserFactory(role=Role.REFERRER)
    email = referrer.email
    commit()
    return email


def sign_in(page, email: str) -> None:  # noqa: ANN001
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def result_names(page) -> list[str]:  # noqa: ANN001
    return [
        text.split(".", 1)[1].strip() for text in page.locator(".app-result h3").all_inner_texts()
    ]


def test_a_referrer_finds_services_by_postcode_and_need(page, directory: str) -> None:  # noqa: ANN001
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    sign_in(page, directory)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find services").click()
    page.get_by_label("Postcode").fill("m1 1ae")
    page.get_by_label("Distance").select_option(label="10 miles")
    page.get_by_role("button", name="Search", exact=True).click()

    page.get_by_role("heading", name="4 services found near M1 1AE").wait_for()
    assert result_names(page) == [
        "Housing first",
        "Recovery café",
        "Women's refuge",
        "Tenancy rescue",
    ]
    # Five locations, one hidden: four markers, plus the search centre.
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert page.locator(".leaflet-marker-icon").count() == 4
    assert "Trafford hub" not in page.content()

    page.get_by_label("Accommodation (3)").check()
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("heading", name="3 services found near M1 1AE").wait_for()
    assert "taxonomy_term_id=accommodation" in page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.screenshot(path=str(SCREENSHOTS / "search-results.png"), full_page=True)

    page.get_by_role("link", name="Remove filter Need: Accommodation").click()
    page.get_by_role("heading", name="4 services found near M1 1AE").wait_for()


def test_search_works_without_javascript_except_the_map(browser, live_server, directory) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, directory)
        page.goto("/search?postcode=M1+1AE&proximity=16093&has_capacity=true")

        assert result_names(page) == ["Housing first", "Recovery café"]
        assert not page.locator("#results-map").is_visible()
        page.get_by_label("Sort by").select_option(label="Highest rated")
        page.get_by_role("button", name="Sort", exact=True).click()
        assert "sort=rating" in page.url
        assert result_names(page) == ["Housing first", "Recovery café"]
    finally:
        context.close()
