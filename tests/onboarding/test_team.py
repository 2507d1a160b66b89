"""Inviting people by e-mail, accepting, roles and removal."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.organisations.models import Invitation, Membership, MembershipRole
from tests.factories import OrganisationFactory, UserFactory, provider_user
from tests.helpers import post_form, sign_in, sign_out, switch_user


def invite(client: FlaskClient, organisation_id: int, email: str, role: str = "member") -> str:
    """Send an invitation through the page; return the link from the outbox e-mail."""
    response = post_form(
        client, f"/organisations/{organisation_id}/team", {"email": email, "role": role}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message.template == "team_invitation"
    return re.sub(r"^https?://[^/]+", "", message.personalisation["link"])


def test_invited_person_creates_an_account_and_joins(client: FlaskClient) -> None:
    admin = provider_user()
    organisation = admin.memberships[0].organisation
    sign_in(client, admin.email)
    link = invite(client, organisation.id, "new.person@org.example")
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.email == "new.person@org.example")
    )
    assert link.split("/")[-1] not in invitation.token_hash  # only a hash is stored
    sign_out(client)
    response = post_form(
        client,
        link,
        {
            "name": "New Person",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.person@org.example"))
    assert user.role == Role.PROVIDER
    assert [(m.organisation_id, m.role) for m in user.memberships] == [
        (organisation.id, MembershipRole.MEMBER)
    ]
    assert client.get(link).status_code == 400  # used


def test_an_expired_invitation_cannot_be_used(client: FlaskClient) -> None:
    admin = provider_user()
    sign_in(client, admin.email)
    link = invite(client, admin.memberships[0].organisation_id, "late@org.example")
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "late@org.example"))
    invitation.expires_at -= timedelta(days=8)
    response = client.get(link)
    assert response.status_code == 400
    assert "This invitation has expired" in response.get_data(as_text=True)


def test_an_invitation_is_only_for_the_address_it_was_sent_to(client: FlaskClient) -> None:
    admin = provider_user()
    organisation = admin.memberships[0].organisation
    sign_in(client, admin.email)
    link = invite(client, organisation.id, "intended@org.example")
    other = provider_user(OrganisationFactory())
    switch_user(client, other.email)
    response = post_form(client, link, {})
    assert response.status_code == 400
    assert "This invitation is for intended@org.example" in response.get_data(as_text=True)
    assert not any(m.organisation_id == organisation.id for m in other.memberships)


def test_a_newer_invitation_replaces_the_older_link(client: FlaskClient) -> None:
    admin = provider_user()
    sign_in(client, admin.email)
    first = invite(client, admin.memberships[0].organisation_id, "twice@org.example")
    invite(client, admin.memberships[0].organisation_id, "twice@org.example")
    assert client.get(first).status_code == 400


def test_admin_changes_a_role_but_never_removes_the_last_admin(client: FlaskClient) -> None:
    admin = provider_user()
    organisation = admin.memberships[0].organisation
    member = provider_user(organisation, role=MembershipRole.MEMBER)
    sign_in(client, admin.email)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    post_form(
        client, f"/organisations/{organisation.id}/team/{membership.id}/role", {"role": "admin"}
    )
    assert membership.role == MembershipRole.ADMIN
    own = db.session.scalar(select(Membership).where(Membership.user_id == admin.id))
    post_form(
        client, f"/organisations/{organisation.id}/team/{membership.id}/role", {"role": "member"}
    )
    response = post_form(
        client, f"/organisations/{organisation.id}/team/{own.id}/role", {"role": "member"}
    )
    assert response.status_code == 400
    assert "An organisation must keep at least one administrator" in response.get_data(as_text=True)
    team = f"/organisations/{organisation.id}/team"
    post_form(client, f"{team}/{own.id}/remove", {}, form_page=team)
    assert db.session.get(Membership, own.id) is not None
    post_form(client, f"{team}/{membership.id}/remove", {}, form_page=team)
    assert db.session.get(Membership, membership.id) is None
    assert db.session.get(User, member.id) is not None  # the account stays


def test_members_and_other_organisations_cannot_manage_the_team(client: FlaskClient) -> None:
    admin = provider_user()
    organisation = admin.memberships[0].organisation
    member = provider_user(organisation, role=MembershipRole.MEMBER)
    sign_in(client, member.email)
    assert client.get(f"/organisations/{organisation.id}/team").status_code == 403
    outsider = provider_user(OrganisationFactory())
    switch_user(client, outsider.email)
    assert client.get(f"/organisations/{organisation.id}/team").status_code == 404


def test_a_referrer_address_cannot_be_invited(client: FlaskClient) -> None:
    admin = provider_user()
    referrer = UserFactory(role=Role.REFERRER)
    sign_in(client, admin.email)
    response = post_form(
        client,
        f"/organisations/{admin.memberships[0].organisation_id}/team",
        {"email": referrer.email, "role": "member"},
    )
    assert response.status_code == 400
    assert "belongs to a referrer" in response.get_data(as_text=True)
