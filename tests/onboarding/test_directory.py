"""The public directory: verified organisations and published services, no hidden
addresses, readable without signing in."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient

from marketplace.directory.models import ServiceStatus
from marketplace.organisations.models import VerificationStatus
from tests.factories import AreaFactory, LocationFactory, OrganisationFactory, ServiceFactory, point


def map_points(page: str) -> list[dict]:
    match = re.search(
        r"<script type=\"application/json\" data-map-points>(.*?)</script>", page, re.S
    )
    return json.loads(match.group(1)) if match else []


def test_service_page_shows_visible_locations_on_the_map_and_in_the_list(
    client: FlaskClient,
) -> None:
    leeds = AreaFactory(name="Leeds")
    hub = LocationFactory(
        name="City hub",
        address_line_1="1 Park Row",
        postcode="LS1 1UR",
        point=point(53.802161, -1.548517),
    )
    refuge = LocationFactory(
        organisation=hub.organisation,
        name="Safe house",
        address_line_1="99 Secret Road",
        postcode="LS6 2AB",
        hidden=True,
        area=leeds,
    )
    service = ServiceFactory(organisation=hub.organisation, name="Women's support")
    service.locations.extend([hub, refuge])
    response = client.get(f"/directory/services/{service.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "City hub" in page and "1 Park Row" in page
    assert [p["label"] for p in map_points(page)] == ["City hub"]
    assert map_points(page)[0]["lat"] == 53.802161
    assert "A confidential location in Leeds" in page
    for secret in ("Safe house", "99 Secret Road", "LS6 2AB"):
        assert secret not in page


def test_unverified_organisations_and_unpublished_services_are_not_public(
    client: FlaskClient,
) -> None:
    pending = OrganisationFactory(status=VerificationStatus.PENDING)
    hidden_by_org = ServiceFactory(organisation=pending)
    draft = ServiceFactory(status=ServiceStatus.DRAFT)
    paused = ServiceFactory(status=ServiceStatus.PAUSED)
    assert client.get(f"/directory/organisations/{pending.id}").status_code == 404
    for service in (hidden_by_org, draft, paused):
        assert client.get(f"/directory/services/{service.id}").status_code == 404
    assert pending.name not in client.get("/directory/").get_data(as_text=True)


def test_organisation_page_lists_published_services_without_personal_data(
    client: FlaskClient,
) -> None:
    organisation = OrganisationFactory(
        safeguarding_lead_name="Dana Lead", safeguarding_lead_email="dana@x.example"
    )
    ServiceFactory(organisation=organisation, name="Published one")
    ServiceFactory(organisation=organisation, name="Draft one", status=ServiceStatus.DRAFT)
    page = client.get(f"/directory/organisations/{organisation.id}").get_data(as_text=True)
    assert "Published one" in page
    assert "Draft one" not in page
    assert "Dana Lead" not in page and "dana@x.example" not in page
    assert "Last verified" in page


def test_directory_filters_by_need_and_pages(client: FlaskClient) -> None:
    housing = ServiceFactory(need_codes=["accommodation.homeless"]).organisation
    money = ServiceFactory(need_codes=["finance.debt"]).organisation
    page = client.get("/directory/?need=accommodation").get_data(as_text=True)
    assert housing.name in page and money.name not in page
    page = client.get("/directory/?need=nonsense&page=999").get_data(as_text=True)
    assert housing.name in page and money.name in page


def test_directory_needs_no_sign_in(client: FlaskClient) -> None:
    assert client.get("/directory/").status_code == 200
