"""The search page: who may use it, what it shows, and how it answers bad input."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Role
from tests.factories import (
    LocationFactory,
    OrganisationFactory,
    ServiceFactory,
    UserFactory,
    point,
    provider_user,
)
from tests.helpers import sign_in


@pytest.fixture
def referrer(client: FlaskClient) -> FlaskClient:
    user = UserFactory(role=Role.REFERRER)
    sign_in(client, user.email)
    return client


@pytest.fixture
def directory(postcodes: dict) -> dict:
    """Two services near Manchester Piccadilly and one in Leeds, one location hidden."""
    charity = OrganisationFactory(name="Northern Housing Trust")
    hub = LocationFactory(
        organisation=charity,
        name="Ancoats hub",
        town="Manchester",
        postcode="M4 5JD",
        point=point(53.484101, -2.235754),
    )
    refuge = LocationFactory(
        organisation=charity,
        name="Safe House",
        town="Trafford",
        postcode="M32 0JG",
        point=point(53.455654, -2.302836),
        hidden=True,
    )
    leeds = LocationFactory(
        organisation=charity,
        name="Leeds office",
        town="Leeds",
        postcode="LS1 4DY",
        point=point(53.795134, -1.546664),
    )
    return {
        "housing": ServiceFactory(
            organisation=charity,
            name="Housing first",
            at=hub,
            need_codes=["accommodation.homeless"],
            capacity=5,
            places_taken=2,
        ),
        "refuge": ServiceFactory(
            organisation=charity,
            name="Women's refuge",
            at=refuge,
            need_codes=["women.domestic_abuse"],
            genders=["female"],
        ),
        "leeds": ServiceFactory(
            organisation=charity, name="Leeds employment", at=leeds, need_codes=["ete.employment"]
        ),
    }


def page(client: FlaskClient, query: str) -> tuple[int, str]:
    response = client.get("/search" + query)
    return response.status_code, response.get_data(as_text=True)


def result_names(html: str) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>", "", name).strip())
        for name in re.findall(
            r'<span class="app-result__number">\d+\.</span>\s*(.*?)\s*</h3>', html, re.S
        )
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/search?postcode=M1+1AE")

    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_every_signed_in_role_may_search(app: Flask, directory: dict) -> None:
    for role in (Role.REFERRER, Role.COMMISSIONER, Role.PLATFORM_ADMIN):
        client = app.test_client()
        sign_in(client, UserFactory(role=role).email)
        assert client.get("/search?postcode=M1+1AE").status_code == 200
    provider = app.test_client()
    sign_in(provider, provider_user().email)
    assert provider.get("/search?postcode=M1+1AE").status_code == 200


def test_the_first_visit_shows_the_form_and_no_results(referrer: FlaskClient) -> None:
    status, html = page(referrer, "")

    assert status == 200
    assert 'name="postcode"' in html
    assert "Enter a postcode to find services near a person" in html
    assert 'value="16093" selected' in html  # 10 miles is offered first


def test_results_are_nearest_first_with_distances_and_counts(
    referrer: FlaskClient, directory: dict
) -> None:
    status, html = page(referrer, "?postcode=M1+1AE&proximity=16093")

    assert status == 200
    assert "2 services found near M1 1AE" in html
    assert result_names(html) == ["Housing first", "Women's refuge"]
    assert "0.2 miles – Ancoats hub, M4 5JD" in html
    assert "Places available: 3 left" in html
    # Facet counts label the filters.
    assert "Accommodation (1)" in html
    assert "Women&#39;s services (1)" in html


def test_a_hidden_address_is_never_on_the_page(referrer: FlaskClient, directory: dict) -> None:
    _, html = page(referrer, "?postcode=M1+1AE&proximity=16093")

    assert "Safe House" not in html
    assert "M32 0JG" not in html
    assert "Address withheld" in html
    markers = re.search(r'id="results-map-data">(.*?)</script>', html, re.S).group(1)
    assert "Safe House" not in markers and "53.455654" not in markers
    assert "Ancoats hub" in markers


def test_filters_are_in_the_url_and_each_tag_removes_one(
    referrer: FlaskClient, directory: dict
) -> None:
    _, html = page(
        referrer, "?postcode=M1+1AE&proximity=16093&taxonomy_term_id=women&gender=female"
    )

    assert result_names(html) == ["Women's refuge"]
    tags = {
        re.sub(r"<[^>]+>", "", text).replace("Remove filter ", "").strip(): href.replace(
            "&amp;", "&"
        )
        for href, text in re.findall(r'class="app-filter-tag" href="([^"]+)">(.*?)</a>', html, re.S)
    }
    need_tag = "Need: Women&#39;s services"
    assert set(tags) == {"Near: M1 1AE", "Distance: Within 10 miles", need_tag, "Gender: Female"}
    assert "taxonomy_term_id" not in tags[need_tag]
    assert "gender=female" in tags[need_tag]
    _, without_need = page(referrer, tags[need_tag].removeprefix("/search"))
    assert result_names(without_need) == ["Housing first", "Women's refuge"]


def test_an_unknown_postcode_is_explained_on_the_page(
    referrer: FlaskClient, directory: dict
) -> None:
    status, html = page(referrer, "?postcode=ZZ9+9ZZ")

    assert status == 400
    assert "There is a problem" in html
    assert 'href="#postcode">Enter a real postcode, like M1 1AE</a>' in html
    assert "<title>Error: " in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?postcode=M1+1AE&proximity=-5", "Enter a distance between 1 metre"),
        ("?postcode=M1+1AE&proximity=99999999", "Enter a distance between 1 metre"),
        ("?postcode=M1+1AE&delivery_mode=teleport", "Select a way of delivering from the list"),
        ("?postcode=M1+1AE&taxonomy_term_id=astrology", "Select needs from the list"),
        ("?text=" + "x" * 201, "Search text must be 200 characters or fewer"),
        ("?postcode=M1+1AE&age=old", "Enter an age between 0 and 120"),
        ("?proximity=1609", "Enter a postcode to search within a distance"),
        ("?postcode=M1+1AE&page=0", "Enter a page number, like 2"),
    ],
)
def test_bad_input_gets_a_clear_message_never_a_500(
    referrer: FlaskClient, directory: dict, query: str, message: str
) -> None:
    status, html = page(referrer, query)

    assert status == 400
    assert message in html


def test_a_page_past_the_end_says_so_and_links_to_the_last(
    referrer: FlaskClient, directory: dict
) -> None:
    status, html = page(referrer, "?postcode=M1+1AE&page=7")

    assert status == 400
    assert "There are only 1 pages of results" in html or "There are only 1 page" in html
    assert "Go to page 1, the last page" in html


def test_words_are_highlighted_in_the_results(referrer: FlaskClient, directory: dict) -> None:
    directory["housing"].description = "Help to find a tenancy and keep it."

    _, html = page(referrer, "?text=tenancy")

    assert result_names(html) == ["Housing first"]
    assert "<mark>tenancy</mark>" in html


def test_pages_link_to_each_other(referrer: FlaskClient, directory: dict) -> None:
    for n in range(3):
        ServiceFactory(
            organisation=directory["housing"].organisation,
            name=f"Extra {n}",
            at=directory["housing"].locations[0],
        )

    _, first = page(referrer, "?postcode=M1+1AE&per_page=2")
    _, second = page(referrer, "?postcode=M1+1AE&per_page=2&page=2")

    assert 'class="govuk-pagination' in first
    assert "page=2" in first
    assert set(result_names(first)).isdisjoint(result_names(second))
