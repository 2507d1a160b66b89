"""Public pages and the error pages."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_start_about_and_accessibility_pages_are_public(client: FlaskClient) -> None:
    for path, heading in [
        ("/", "Find and refer to support services"),
        ("/about-the-data", "About the data"),
        ("/accessibility", "Accessibility statement"),
    ]:
        response = client.get(path)
        assert response.status_code == 200
        assert heading in response.get_data(as_text=True)


def test_about_the_data_gives_the_licence_attributions(client: FlaskClient) -> None:
    page = client.get("/about-the-data").get_data(as_text=True)
    assert "Contains OS data © Crown copyright and database right" in page
    assert "Contains Royal Mail data © Royal Mail copyright and database right" in page


def test_unknown_page_is_a_govuk_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["message"]


def test_footer_is_a_sector_services_not_gov_uks(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    footer = page[page.index('<div class="govuk-footer">') :]
    assert "Accessibility statement" in footer and "&copy; Pathways" in footer
    assert "govuk-footer__crown" not in footer and "copyright-logo" not in footer
    assert "crown-copyright" not in footer


def test_favicon_is_served(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as response:  # files are streamed: close them
        assert response.status_code == 200
        assert len(response.get_data()) > 100


def test_govuk_stylesheet_is_built_for_a_sector_service(client: FlaskClient) -> None:
    """Pathways is not on GOV.UK: no GDS Transport typeface, and every asset the stylesheet
    refers to is served from our own static folder."""
    with client.get("/static/vendor/govuk/govuk-frontend.min.css") as response:
        css = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ".govuk-header" in css
    assert "GDS Transport" not in css and "@font-face" not in css
    urls = re.findall(r"url\(\"?([^\")]+)\"?\)", css)
    assert urls, "the stylesheet refers to GOV.UK images"
    for url in urls:
        with client.get(url) as asset:
            assert asset.status_code == 200, url


def test_signed_out_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
