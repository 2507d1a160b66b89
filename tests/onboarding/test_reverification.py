"""A verified organisation that changes checked details goes back in front of an admin."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.organisations import services
from marketplace.organisations.models import MembershipRole, Organisation, VerificationStatus
from tests.factories import OrganisationFactory, UserFactory, provider_user
from tests.helpers import post_form, sign_in


def details(organisation: Organisation, **changes: Any) -> dict[str, Any]:
    """The details form as the organisation would submit it, with ``changes``."""
    fields = {name: getattr(organisation, name) or "" for name in services.ORGANISATION_FIELDS}
    return {**fields, **changes}


@pytest.fixture
def verified() -> tuple[Organisation, User]:
    organisation = OrganisationFactory(
        name="New Leaf Trust",
        charity_number="1187654",
        website="https://newleaf.example",
        safeguarding_lead_name="Pat Safe",
        safeguarding_lead_email="safeguarding@newleaf.example",
    )
    return organisation, provider_user(organisation)


def test_changing_a_checked_detail_waits_for_review_and_stays_verified(
    client: FlaskClient, verified: tuple[Organisation, User]
) -> None:
    organisation, provider = verified
    verified_on = organisation.last_verified_at
    sign_in(client, provider.email)
    path = f"/organisations/{organisation.id}/details"
    response = post_form(client, path, details(organisation, charity_number="1187655"))
    assert response.status_code == 302
    assert organisation.status == VerificationStatus.VERIFIED
    assert organisation.changes_to_review == {"charity_number": ["1187654", "1187655"]}
    assert organisation.changed_since_verified_at is not None
    assert organisation.last_verified_at == verified_on
    setup = client.get(f"/organisations/{organisation.id}/setup").get_data(as_text=True)
    assert "You changed charity number after your organisation was verified" in setup


def test_other_details_do_not_need_a_review(
    client: FlaskClient, verified: tuple[Organisation, User]
) -> None:
    organisation, provider = verified
    sign_in(client, provider.email)
    path = f"/organisations/{organisation.id}/details"
    post_form(client, path, details(organisation, phone="0113 496 0999", description="New words."))
    assert organisation.phone == "0113 496 0999"
    assert organisation.changes_to_review is None
    assert organisation.changed_since_verified_at is None


def test_a_pending_organisation_changes_freely() -> None:
    organisation = OrganisationFactory(status=VerificationStatus.PENDING, last_verified_at=None)
    services.update_details(organisation, {"name": "Renamed"}, UserFactory())
    assert organisation.name == "Renamed"
    assert organisation.changes_to_review is None


def test_later_changes_keep_the_verified_value_and_changing_back_clears_it(
    verified: tuple[Organisation, User],
) -> None:
    organisation, provider = verified
    services.update_details(organisation, {"name": "New Leaf"}, provider)
    services.update_details(organisation, {"name": "New Leaf CIO"}, provider)
    services.update_details(organisation, {"website": "https://newleaf.org.example"}, provider)
    assert organisation.changes_to_review == {
        "name": ["New Leaf Trust", "New Leaf CIO"],
        "website": ["https://newleaf.example", "https://newleaf.org.example"],
    }
    services.update_details(
        organisation, {"name": "New Leaf Trust", "website": "https://newleaf.example"}, provider
    )
    assert organisation.changes_to_review is None
    assert organisation.changed_since_verified_at is None


def test_admin_sees_the_change_and_confirms_it(
    client: FlaskClient, verified: tuple[Organisation, User]
) -> None:
    organisation, provider = verified
    services.update_details(organisation, {"safeguarding_lead_name": "Jo Careful"}, provider)
    OrganisationFactory(name="Unchanged Trust")
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    sign_in(client, admin.email)

    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Organisations that changed checked details" in dashboard
    assert "/admin/organisations?status=changed" in dashboard
    queue = client.get("/admin/organisations?status=changed").get_data(as_text=True)
    assert "Changed since verification (1)" in queue
    assert "New Leaf Trust" in queue and "Safeguarding lead" in queue
    assert "Unchanged Trust" not in queue

    review = f"/admin/organisations/{organisation.id}"
    page = client.get(review).get_data(as_text=True)
    assert "Changed since verification" in page
    assert "Pat Safe" in page and "Jo Careful" in page

    before = organisation.last_verified_at
    response = post_form(client, f"{review}/confirm-changes", {}, form_page=review)
    assert response.status_code == 302
    assert organisation.changes_to_review is None
    assert organisation.changed_since_verified_at is None
    assert organisation.last_verified_at is not None and before is not None
    assert organisation.last_verified_at > before
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation_changes_confirmed")
    ).one()
    assert event.actor_id == admin.id
    assert "The changes to New Leaf Trust are confirmed" in client.get(review).get_data(
        as_text=True
    )


def test_confirming_with_nothing_to_confirm_says_so(
    client: FlaskClient, verified: tuple[Organisation, User]
) -> None:
    organisation, _ = verified
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    review = f"/admin/organisations/{organisation.id}"
    post_form(client, f"{review}/confirm-changes", {}, form_page=review)
    assert "There are no changes to confirm" in client.get(review).get_data(as_text=True)


def test_reinstating_a_suspended_organisation_verifies_its_changes(
    client: FlaskClient, verified: tuple[Organisation, User]
) -> None:
    organisation, provider = verified
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    review = f"/admin/organisations/{organisation.id}"
    post_form(client, f"{review}/suspend", {"reason": "Checking the new charity number"})
    services.update_details(organisation, {"charity_number": "1187655"}, provider)
    assert organisation.has_changes_to_review
    page = client.get(review).get_data(as_text=True)
    assert "1187655" in page and "Confirm changes" not in page  # reinstate instead
    post_form(client, f"{review}/confirm-changes", {}, form_page=review)
    assert organisation.has_changes_to_review
    post_form(client, f"{review}/reinstate", {}, form_page=review)
    assert organisation.status == VerificationStatus.VERIFIED
    assert organisation.changes_to_review is None


@pytest.mark.parametrize("membership", [MembershipRole.ADMIN, MembershipRole.MEMBER])
def test_the_organisation_cannot_confirm_its_own_changes(
    client: FlaskClient, verified: tuple[Organisation, User], membership: MembershipRole
) -> None:
    organisation, provider = verified
    services.update_details(organisation, {"name": "Self Approved"}, provider)
    user = (
        provider
        if membership == MembershipRole.ADMIN
        else provider_user(organisation, role=MembershipRole.MEMBER)
    )
    sign_in(client, user.email)
    setup = f"/organisations/{organisation.id}/setup"
    response = post_form(
        client, f"/admin/organisations/{organisation.id}/confirm-changes", {}, form_page=setup
    )
    assert response.status_code == 403
    assert organisation.changes_to_review == {"name": ["New Leaf Trust", "Self Approved"]}
    assert client.get("/admin/organisations?status=changed").status_code == 403
