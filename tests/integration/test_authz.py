"""Named permissions, role grants and object scope: the wrong user is always refused."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import NotFound

from marketplace.accounts.models import Role
from marketplace.authz import can, get_or_404, requires
from marketplace.organisations.models import MembershipRole
from marketplace.referrals.models import Referral
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)


def test_provider_admin_edits_own_organisation_only() -> None:
    own, other = OrganisationFactory(), OrganisationFactory()
    admin = provider_user(own)
    assert can(admin, "organisation:edit", own)
    assert not can(admin, "organisation:edit", other)


def test_provider_member_cannot_do_admin_things_in_own_organisation() -> None:
    organisation = OrganisationFactory()
    member = provider_user(organisation, role=MembershipRole.MEMBER)
    assert can(member, "service:edit", ServiceFactory(organisation=organisation))
    assert not can(member, "organisation:edit", organisation)
    assert not can(member, "team:manage", organisation)
    assert not can(member, "service:publish", ServiceFactory(organisation=organisation))


def test_provider_sees_only_referrals_to_its_own_organisation() -> None:
    referral = ReferralFactory()
    own_provider = provider_user(referral.organisation, role=MembershipRole.MEMBER)
    other_provider = provider_user()
    assert can(own_provider, "referral:view", referral)
    assert not can(other_provider, "referral:view", referral)


def test_referrer_sees_only_their_agencys_referrals_and_people() -> None:
    referral = ReferralFactory()
    colleague = UserFactory(role=Role.REFERRER, agency=referral.agency)
    outsider = UserFactory(role=Role.REFERRER)
    assert can(colleague, "referral:view", referral)
    assert not can(outsider, "referral:view", referral)
    assert can(colleague, "person:manage", referral.person)
    assert not can(outsider, "person:manage", referral.person)
    assert not can(outsider, "person:manage", PersonFactory())


def test_commissioner_never_sees_a_referral_or_a_person() -> None:
    commissioner = UserFactory(role=Role.COMMISSIONER)
    referral = ReferralFactory()
    assert not can(commissioner, "referral:view", referral)
    assert not can(commissioner, "person:manage", referral.person)
    assert can(commissioner, "coverage:view")


def test_platform_admin_passes_scope_but_not_ungranted_permissions() -> None:
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    assert can(admin, "organisation:verify", OrganisationFactory())
    assert can(admin, "referral:view", ReferralFactory())
    assert not can(admin, "referral:create")  # only referrers refer


def test_suspended_anonymous_and_unknown_are_refused() -> None:
    suspended = UserFactory(role=Role.PLATFORM_ADMIN, active=False)
    assert not can(suspended, "dashboard:view")
    assert not can(AnonymousUserMixin(), "dashboard:view")
    assert not can(None, "dashboard:view")
    assert not can(UserFactory(role=Role.PLATFORM_ADMIN), "no:such-permission")


def test_declaring_an_unknown_permission_fails_at_import_time() -> None:
    with pytest.raises(KeyError, match="Unknown permission"):
        requires("no:such-permission")


def test_loader_answers_404_for_objects_out_of_scope(app: Flask) -> None:
    referral = ReferralFactory()
    outsider = UserFactory(role=Role.REFERRER)
    colleague = UserFactory(role=Role.REFERRER, agency=referral.agency)
    with app.test_request_context():
        from flask_login import login_user

        login_user(outsider)
        with pytest.raises(NotFound):
            get_or_404(Referral, referral.id, "referral:view")
        login_user(colleague)
        assert get_or_404(Referral, referral.id, "referral:view") is referral
        with pytest.raises(NotFound):
            get_or_404(Referral, 10**9, "referral:view")


def test_api_ignores_session_cookies_and_needs_a_bearer_token(client, app: Flask) -> None:  # noqa: ANN001
    from flask import request

    from marketplace.accounts.tokens import issue_token, user_from_request
    from marketplace.accounts.views import load_user
    from tests.helpers import sign_in

    user = UserFactory(role=Role.REFERRER)
    assert sign_in(client, user.email).status_code == 302
    token = issue_token(user, "test")
    with app.test_request_context("/dashboard"):
        assert load_user(str(user.id)) is user  # pages use the session
    with app.test_request_context("/api/v1/referrals"):
        assert load_user(str(user.id)) is None  # the API never does
    with app.test_request_context("/api/v1/x", headers={"Authorization": f"Bearer {token}"}):
        assert user_from_request(request) is user
    for header in ("Bearer pw_wrong", f"Basic {token}", ""):
        with app.test_request_context("/api/v1/x", headers={"Authorization": header}):
            assert user_from_request(request) is None


def test_a_tokens_last_use_is_written_at_most_once_per_interval() -> None:
    from datetime import UTC, datetime, timedelta

    from marketplace.accounts.models import ApiToken
    from marketplace.accounts.tokens import LAST_USED_INTERVAL, note_use

    token = ApiToken(name="case management")
    first = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    note_use(token, first)
    note_use(token, first + LAST_USED_INTERVAL - timedelta(seconds=1))
    assert token.last_used_at == first  # nothing written within the interval

    note_use(token, first + LAST_USED_INTERVAL)
    assert token.last_used_at == first + LAST_USED_INTERVAL


def test_calls_with_a_token_write_its_row_only_once_per_interval(app: Flask) -> None:
    from flask import request
    from sqlalchemy import event

    from marketplace.accounts.tokens import issue_token, user_from_request
    from marketplace.extensions import db

    token = issue_token(UserFactory(role=Role.REFERRER), "test")
    writes: list[str] = []

    def count_token_updates(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE api_token"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_token_updates)
    try:
        for _ in range(3):
            with app.test_request_context(
                "/api/v1/x", headers={"Authorization": f"Bearer {token}"}
            ):
                assert user_from_request(request) is not None
                db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_token_updates)
    assert len(writes) == 1


def test_signed_in_state_does_not_leak_between_requests(client) -> None:  # noqa: ANN001
    from tests.helpers import sign_in

    user = UserFactory(role=Role.REFERRER)
    sign_in(client, user.email)
    assert client.get("/dashboard").status_code == 200
    client.delete_cookie("session")
    assert client.get("/dashboard").status_code == 302
