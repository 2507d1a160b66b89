"""Organisation sign-up, the set-up task list and sending for verification."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.organisations.models import MembershipRole, Organisation, VerificationStatus
from tests.factories import OrganisationFactory, ServiceFactory, UserFactory, provider_user
from tests.helpers import post_form, sign_in

VALID = {
    "account_name": "Sam Founder",
    "account_email": "sam@newcharity.example",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "name": "New Leaf Trust",
    "charity_number": "1187654",
    "company_number": "",
    "description": "Mentoring for people leaving prison.",
    "website": "https://newleaf.example",
    "email": "hello@newleaf.example",
    "phone": "0113 496 0000",
    "safeguarding_lead_name": "Pat Safe",
    "safeguarding_lead_email": "safeguarding@newleaf.example",
}


def test_sign_up_creates_a_pending_organisation_with_its_first_admin(client: FlaskClient) -> None:
    response = post_form(client, "/register", VALID)
    assert response.status_code == 302
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == "New Leaf Trust")
    )
    assert organisation is not None
    assert organisation.status == VerificationStatus.PENDING
    assert organisation.charity_number == "1187654"
    assert organisation.submitted_at is None
    user = db.session.scalar(select(User).where(User.email == "sam@newcharity.example"))
    assert user.role == Role.PROVIDER
    assert [(m.organisation_id, m.role) for m in user.memberships] == [
        (organisation.id, MembershipRole.ADMIN)
    ]
    assert response.headers["Location"] == f"/organisations/{organisation.id}/setup"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Set up your organisation" in page
    assert "Not yet started" in page  # services
    assert "Pending" in page


def test_duplicate_charity_number_is_refused_by_the_field(client: FlaskClient) -> None:
    OrganisationFactory(charity_number="1187654")
    response = post_form(client, "/register", VALID)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "An organisation with charity number 1187654 is already registered" in page
    assert 'href="#charity_number"' in page
    assert db.session.scalar(select(User).where(User.email == VALID["account_email"])) is None


def test_malformed_charity_number_gets_a_gov_uk_message(client: FlaskClient) -> None:
    response = post_form(client, "/register", {**VALID, "charity_number": "12-AB"})
    assert response.status_code == 400
    assert (
        "Enter a charity number in the correct format, like 1123456 or SC012345"
        in response.get_data(as_text=True)
    )


def test_scottish_charity_and_short_company_numbers_are_normalised(client: FlaskClient) -> None:
    post_form(
        client, "/register", {**VALID, "charity_number": "sc 012345", "company_number": "1234567"}
    )
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == "New Leaf Trust")
    )
    assert (organisation.charity_number, organisation.company_number) == ("SC012345", "01234567")


def test_an_email_already_registered_cannot_sign_up_again(client: FlaskClient) -> None:
    UserFactory(email="sam@newcharity.example")
    response = post_form(client, "/register", VALID)
    assert response.status_code == 400
    assert "An account with this email address already exists" in response.get_data(as_text=True)


def test_missing_fields_are_listed_in_the_error_summary(client: FlaskClient) -> None:
    response = post_form(client, "/register", {"name": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    for message in (
        "Enter your full name",
        "Enter your organisation’s name",
        "Enter your safeguarding lead’s full name",
        "Enter a password",
    ):
        assert message in page


def test_sending_for_verification_needs_a_service(client: FlaskClient) -> None:
    user = provider_user(email="admin@charity.example")
    organisation = user.memberships[0].organisation
    organisation.status = VerificationStatus.PENDING
    sign_in(client, user.email)
    setup = f"/organisations/{organisation.id}/setup"
    post_form(client, f"/organisations/{organisation.id}/submit", {}, form_page=setup)
    assert organisation.submitted_at is None
    ServiceFactory(organisation=organisation)
    response = post_form(client, f"/organisations/{organisation.id}/submit", {}, form_page=setup)
    assert response.status_code == 302
    assert organisation.submitted_at is not None
    assert "Sent for verification on" in client.get(setup).get_data(as_text=True)


def test_another_providers_set_up_page_is_not_found(client: FlaskClient) -> None:
    mine = provider_user()
    theirs = OrganisationFactory()
    sign_in(client, mine.email)
    assert client.get(f"/organisations/{theirs.id}/setup").status_code == 404
    assert client.get(f"/organisations/{theirs.id}/details").status_code == 404


def test_a_member_cannot_edit_organisation_details(client: FlaskClient) -> None:
    member = provider_user(role=MembershipRole.MEMBER)
    organisation = member.memberships[0].organisation
    sign_in(client, member.email)
    assert client.get(f"/organisations/{organisation.id}/setup").status_code == 200
    assert client.get(f"/organisations/{organisation.id}/details").status_code == 403


def test_admin_edits_details_and_a_taken_number_keeps_the_old_value(client: FlaskClient) -> None:
    user = provider_user()
    organisation = user.memberships[0].organisation
    OrganisationFactory(charity_number="1199999")
    sign_in(client, user.email)
    path = f"/organisations/{organisation.id}/details"
    fields = {
        k: v
        for k, v in VALID.items()
        if not k.startswith("account") and k not in ("password", "confirm")
    }
    response = post_form(client, path, {**fields, "charity_number": "1199999"})
    assert response.status_code == 400
    db.session.refresh(organisation)
    assert organisation.charity_number != "1199999"
    response = post_form(client, path, {**fields, "charity_number": "1187655"})
    assert response.status_code == 302
    assert organisation.charity_number == "1187655"
    assert organisation.name == "New Leaf Trust"
