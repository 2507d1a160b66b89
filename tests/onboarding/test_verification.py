"""The platform admin's verification queue: verify, reject, suspend, reinstate."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.organisations.models import VerificationStatus
from tests.factories import OrganisationFactory, ServiceFactory, UserFactory, provider_user
from tests.helpers import post_form, sign_in


@pytest.fixture
def admin(client: FlaskClient):  # noqa: ANN201
    user = UserFactory(role=Role.PLATFORM_ADMIN)
    sign_in(client, user.email)
    return user


def pending_organisation(**fields):  # noqa: ANN001, ANN201
    user = provider_user(
        email=fields.pop("admin_email", None) or f"admin{utcnow().timestamp()}@org.example"
    )
    organisation = user.memberships[0].organisation
    organisation.status = VerificationStatus.PENDING
    organisation.last_verified_at = None
    organisation.submitted_at = utcnow()
    for name, value in fields.items():
        setattr(organisation, name, value)
    db.session.flush()
    return organisation, user


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def test_queue_lists_pending_organisations_with_what_they_submitted(
    client: FlaskClient, admin
) -> None:  # noqa: ANN001
    organisation, _ = pending_organisation(name="Second Chance CIC")
    ServiceFactory(organisation=organisation, name="Housing first")
    OrganisationFactory(name="Already Verified Trust")
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "Second Chance CIC" in page
    assert "Already Verified Trust" not in page
    review = client.get(f"/admin/organisations/{organisation.id}").get_data(as_text=True)
    assert "Housing first" in review
    assert organisation.charity_number in review


def test_verifying_sets_the_date_and_tells_the_admins(client: FlaskClient, admin) -> None:  # noqa: ANN001
    organisation, provider = pending_organisation(admin_email="boss@org.example")
    review = f"/admin/organisations/{organisation.id}"
    response = post_form(client, f"{review}/verify", {}, form_page=review)
    assert response.status_code == 302
    assert organisation.status == VerificationStatus.VERIFIED
    assert organisation.last_verified_at is not None
    assert [m.template for m in outbox_to("boss@org.example")] == ["organisation_verified"]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id))
    assert "organisation_verified" in list(actions)
    assert "Last verified on" in client.get(review).get_data(as_text=True)


def test_rejecting_needs_a_reason_which_is_sent_to_the_provider(client: FlaskClient, admin) -> None:  # noqa: ANN001
    organisation, _ = pending_organisation(admin_email="boss@org.example")
    path = f"/admin/organisations/{organisation.id}/reject"
    response = post_form(client, path, {"reason": ""})
    assert response.status_code == 400
    assert "Enter the reason" in response.get_data(as_text=True)
    assert organisation.status == VerificationStatus.PENDING
    post_form(client, path, {"reason": "The charity number belongs to another charity."})
    assert organisation.status == VerificationStatus.REJECTED
    [message] = outbox_to("boss@org.example")
    assert message.template == "organisation_rejected"
    assert message.personalisation["reason"] == "The charity number belongs to another charity."


def test_suspend_then_reinstate(client: FlaskClient, admin) -> None:  # noqa: ANN001
    organisation = OrganisationFactory()
    review = f"/admin/organisations/{organisation.id}"
    post_form(client, f"{review}/suspend", {"reason": "Safeguarding concern under review"})
    assert organisation.status == VerificationStatus.SUSPENDED
    assert organisation.status_reason == "Safeguarding concern under review"
    post_form(client, f"{review}/reinstate", {}, form_page=review)
    assert organisation.status == VerificationStatus.VERIFIED
    assert organisation.status_reason is None


def test_a_decision_that_does_not_fit_the_state_changes_nothing(client: FlaskClient, admin) -> None:  # noqa: ANN001
    organisation = OrganisationFactory()  # verified
    review = f"/admin/organisations/{organisation.id}"
    response = post_form(client, f"{review}/verify", {}, form_page=review)
    assert response.status_code == 302
    assert "You cannot verify an organisation that is verified" in client.get(review).get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", [Role.REFERRER, Role.COMMISSIONER])
def test_only_platform_admins_see_the_queue(client: FlaskClient, role: Role) -> None:
    sign_in(client, UserFactory(role=role).email)
    assert client.get("/admin/organisations").status_code == 403


def test_a_provider_cannot_verify_their_own_organisation(client: FlaskClient) -> None:
    organisation, provider = pending_organisation()
    sign_in(client, provider.email)
    setup = f"/organisations/{organisation.id}/setup"
    response = post_form(
        client, f"/admin/organisations/{organisation.id}/verify", {}, form_page=setup
    )
    assert response.status_code == 403
    assert organisation.status == VerificationStatus.PENDING


def test_rejected_organisation_can_resubmit(client: FlaskClient) -> None:
    organisation, provider = pending_organisation(
        status=VerificationStatus.REJECTED, submitted_at=None
    )
    ServiceFactory(organisation=organisation)
    sign_in(client, provider.email)
    setup = f"/organisations/{organisation.id}/setup"
    post_form(client, f"/organisations/{organisation.id}/submit", {}, form_page=setup)
    assert organisation.status == VerificationStatus.PENDING
    assert organisation.submitted_at is not None


def test_what_an_organisation_typed_is_escaped_in_the_queue(client: FlaskClient, admin) -> None:  # noqa: ANN001
    organisation, _ = pending_organisation(name="<script>alert(1)</script> Trust")
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Trust</a>" in page
    assert f'href="/admin/organisations/{organisation.id}"' in page
