"""Sharing feedback on the service's page: the authors' opt-in, who reads "What people
said" (and who only sees the rating), the provider's public reply beneath, and a platform
admin hiding a comment without deleting it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role, User
from marketplace.accounts.tokens import issue_token
from marketplace.audit.models import AuditEvent
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.referrals import lifecycle, person_links, queries, services
from marketplace.referrals.lifecycle import InvalidInput, NotPermitted, TransitionRefused
from marketplace.referrals.models import Feedback, FeedbackAuthor, Referral, ReferralState
from marketplace.referrals.sla import LONDON
from tests.factories import AppointmentFactory, ReferralFactory, UserFactory, provider_user
from tests.helpers import post_form, sign_in, switch_user
from tests.inbox.conftest import Sides


@pytest.fixture
def completed(sides: Sides) -> Sides:
    lifecycle.accept(sides.referral, sides.provider)
    appointment = AppointmentFactory(
        referral=sides.referral, starts_at=utcnow() - timedelta(hours=1)
    )
    services.record_attendance(appointment, sides.provider, status="attended")
    lifecycle.complete(sides.referral, sides.provider, "met")
    return sides


def service_page(client: FlaskClient, sides: Sides, query: str = "") -> str:
    response = client.get(f"/directory/services/{sides.service.id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def another_completed_referral(sides: Sides) -> Referral:
    return ReferralFactory(
        service=sides.service,
        referrer=sides.referrer,
        person__agency=sides.referrer.agency,
        state=ReferralState.COMPLETED,
    )


# Opting in ------------------------------------------------------------------------------


def test_feedback_is_not_shared_unless_the_author_asks(completed: Sides) -> None:
    feedback = services.give_feedback(
        completed.referral, actor=completed.referrer, rating=4, comments="Helpful"
    )
    assert feedback.shared is False
    assert queries.shared_comments(completed.service).total == 0


def test_a_referrer_shares_through_the_page_form(client: FlaskClient, completed: Sides) -> None:
    sign_in(client, completed.referrer.email)
    path = f"/referrals/{completed.referral.id}/feedback"
    form = client.get(path).get_data(as_text=True)
    assert "Share this comment on the service&#39;s page" in form
    assert "Do not include names or any details that could identify" in form
    response = post_form(
        client, path, {"rating": "4", "comments": "Quick to respond", "shared": "y"}
    )
    assert response.status_code == 302
    feedback = services.feedback_from(completed.referral, FeedbackAuthor.REFERRER)
    assert feedback is not None and feedback.shared is True


def test_leaving_the_box_unticked_keeps_the_comment_private(
    client: FlaskClient, completed: Sides
) -> None:
    sign_in(client, completed.referrer.email)
    path = f"/referrals/{completed.referral.id}/feedback"
    post_form(client, path, {"rating": "2", "comments": "Slow to reply"})
    feedback = services.feedback_from(completed.referral, FeedbackAuthor.REFERRER)
    assert feedback is not None and feedback.shared is False
    assert "Slow to reply" not in service_page(client, completed)


def test_sharing_needs_a_comment(client: FlaskClient, completed: Sides) -> None:
    sign_in(client, completed.referrer.email)
    path = f"/referrals/{completed.referral.id}/feedback"
    response = post_form(client, path, {"rating": "5", "shared": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in page
    assert "Enter a comment to share it on the service" in page
    assert services.feedback_from(completed.referral, FeedbackAuthor.REFERRER) is None


def test_the_providers_form_offers_no_sharing(client: FlaskClient, completed: Sides) -> None:
    sign_in(client, completed.provider.email)
    path = f"/referrals/{completed.referral.id}/feedback"
    assert "Share this comment" not in client.get(path).get_data(as_text=True)
    post_form(client, path, {"rating": "5", "comments": "Good referral", "shared": "y"})
    feedback = services.feedback_from(completed.referral, FeedbackAuthor.PROVIDER)
    assert feedback is not None and feedback.shared is False


def test_the_provider_cannot_share_its_own_rating(completed: Sides) -> None:
    with pytest.raises(InvalidInput, match="Only referrers and the people referred"):
        services.give_feedback(
            completed.referral, actor=completed.provider, rating=5, comments="Ok", shared=True
        )


def test_the_database_refuses_a_shared_provider_rating(completed: Sides) -> None:
    feedback = services.give_feedback(
        completed.referral, actor=completed.provider, rating=5, comments="Ok"
    )
    feedback.shared = True
    with pytest.raises(IntegrityError, match="shared_by_raters_with_comments"):
        db.session.flush()


def test_the_person_shares_through_their_link(client: FlaskClient, completed: Sides) -> None:
    token = person_links.issue_link(completed.referral)
    form = client.get(f"/p/{token}/feedback").get_data(as_text=True)
    assert "Share this comment on the service&#39;s page" in form
    assert "not your name" in form
    post_form(
        client,
        f"/p/{token}/feedback",
        {"rating": "5", "comments": "They found me a room", "shared": "y"},
    )
    feedback = services.feedback_from(completed.referral, FeedbackAuthor.PERSON)
    assert feedback is not None and feedback.shared is True

    sign_in(client, UserFactory(role=Role.REFERRER).email)
    page = service_page(client, completed)
    assert "The person referred" in page and "They found me a room" in page


def bearer(user) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {issue_token(user, 'case system')}"}


def test_the_api_shares_when_asked_and_not_by_default(
    client: FlaskClient, completed: Sides
) -> None:
    response = client.post(
        f"/api/v1/referrals/{completed.referral.id}/feedback",
        json={"rating": 4, "comments": "Clear updates", "shared": True},
        headers=bearer(completed.referrer),
    )
    assert response.status_code == 201
    assert response.json["shared"] is True
    second = another_completed_referral(completed)
    response = client.post(
        f"/api/v1/referrals/{second.id}/feedback",
        json={"rating": 3, "comments": "Fine"},
        headers=bearer(completed.referrer),
    )
    assert response.json["shared"] is False


@pytest.mark.parametrize(
    "body,field",
    [
        ({"rating": 4, "shared": True}, "comments"),
        ({"rating": 4, "comments": "Yes", "shared": "perhaps"}, "shared"),
    ],
)
def test_the_api_refuses_sharing_it_cannot_do(
    client: FlaskClient, completed: Sides, body: dict, field: str
) -> None:
    response = client.post(
        f"/api/v1/referrals/{completed.referral.id}/feedback",
        json=body,
        headers=bearer(completed.referrer),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field


def test_the_api_refuses_a_provider_sharing(client: FlaskClient, completed: Sides) -> None:
    response = client.post(
        f"/api/v1/referrals/{completed.referral.id}/feedback",
        json={"rating": 4, "comments": "Good fit", "shared": True},
        headers=bearer(completed.provider),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "shared"


# Who reads what ---------------------------------------------------------------------------


@pytest.fixture
def shared(completed: Sides) -> Feedback:
    feedback = services.give_feedback(
        completed.referral,
        actor=completed.referrer,
        rating=4,
        comments="Found her a room within a week",
        shared=True,
    )
    services.reply_to_feedback(feedback, completed.provider, "Thank you: we try to move fast.")
    return feedback


def test_signed_in_referrers_read_what_people_said_without_names(
    client: FlaskClient, completed: Sides, shared: Feedback
) -> None:
    sign_in(client, UserFactory(role=Role.REFERRER).email)
    whole = service_page(client, completed)
    page = whole[whole.index("What people said") : whole.index("was last verified")]
    month = shared.created_at.astimezone(LONDON).strftime("%B %Y")
    assert "What people said" in page
    assert f"A referrer, {month}" in page
    assert "Good</strong> (4 out of 5)" in page
    assert "Found her a room within a week" in page
    assert f"Reply from {completed.referral.organisation.name}" in page
    assert "Thank you: we try to move fast." in page
    for private in (
        completed.referrer.name,
        completed.referrer.agency.name,
        completed.referral.reference,
        completed.referral.person.reference,
    ):
        assert private not in whole
    # The month, never the day (the rest of the page shows dates of its own).
    assert shared.created_at.astimezone(LONDON).strftime("%-d %B %Y") not in page


def test_providers_and_admins_read_the_comments_too(
    client: FlaskClient, completed: Sides, shared: Feedback
) -> None:
    sign_in(client, provider_user().email)
    assert "Found her a room within a week" in service_page(client, completed)
    switch_user(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    assert "Found her a room within a week" in service_page(client, completed)


def test_anonymous_visitors_see_the_rating_and_count_only(
    client: FlaskClient, completed: Sides, shared: Feedback
) -> None:
    page = service_page(client, completed)
    assert "4.0 out of 5, from 1 rating" in page
    assert "What people said" not in page
    assert "Found her a room within a week" not in page
    assert "Thank you: we try to move fast." not in page
    assert "Sign in</a> as a referrer or provider to read what people said" in page


def test_commissioners_see_the_rating_but_not_the_comments(
    client: FlaskClient, completed: Sides, shared: Feedback
) -> None:
    sign_in(client, UserFactory(role=Role.COMMISSIONER).email)
    page = service_page(client, completed)
    assert "4.0 out of 5, from 1 rating" in page
    assert "Found her a room within a week" not in page


def test_the_page_is_never_served_from_a_shared_cache(
    client: FlaskClient, completed: Sides
) -> None:
    response = client.get(f"/directory/services/{completed.service.id}")
    assert "private" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers["Vary"]


def test_comments_are_newest_first_and_paginated(client: FlaskClient, completed: Sides) -> None:
    now = utcnow()
    for number in range(queries.SHARED_PAGE_SIZE + 2):
        referral = another_completed_referral(completed)
        feedback = services.give_feedback(
            referral,
            actor=completed.referrer,
            rating=3,
            comments=f"Comment {number:02d}",
            shared=True,
        )
        feedback.created_at = now - timedelta(days=40 - number)
    db.session.flush()
    sign_in(client, UserFactory(role=Role.REFERRER).email)
    first = service_page(client, completed)
    assert first.index("Comment 11") < first.index("Comment 10") < first.index("Comment 02")
    assert "Comment 01" not in first
    assert "Page 1 of 2" in first and "page=2#what-people-said" in first
    second = service_page(client, completed, "?page=2")
    assert "Comment 01" in second and "Comment 00" in second and "Comment 11" not in second


# The provider's side ----------------------------------------------------------------------


def test_the_ratings_page_says_what_is_shared_and_that_a_reply_is_public(
    client: FlaskClient, completed: Sides
) -> None:
    services.give_feedback(
        completed.referral, actor=completed.referrer, rating=4, comments="Kind", shared=True
    )
    services.give_feedback(
        completed.referral, author_kind=FeedbackAuthor.PERSON, rating=5, comments="Private"
    )
    sign_in(client, completed.provider.email)
    page = client.get("/referrals/ratings").get_data(as_text=True)
    assert "Shared</strong> on the service's page" in page
    assert "Not shared" in page
    assert "Your reply will be public on the service's page." in page


def test_the_reply_form_says_the_reply_will_be_public_and_is_once_only(
    client: FlaskClient, completed: Sides
) -> None:
    feedback = services.give_feedback(
        completed.referral, actor=completed.referrer, rating=2, comments="Slow", shared=True
    )
    sign_in(client, completed.provider.email)
    path = f"/referrals/ratings/{feedback.id}/reply"
    form = client.get(path).get_data(as_text=True)
    assert "Your reply will be public on the service&#39;s page" in form
    post_form(client, path, {"reply": "Sorry, we were short-staffed."})
    switch_user(client, UserFactory(role=Role.REFERRER).email)
    page = service_page(client, completed)
    assert "Sorry, we were short-staffed." in page
    switch_user(client, completed.provider.email)
    again = post_form(client, path, {"reply": "Again"}, form_page="/referrals/ratings")
    assert again.status_code == 302
    db.session.refresh(feedback)
    assert feedback.provider_reply == "Sorry, we were short-staffed."


# Hiding -------------------------------------------------------------------------------------


def test_an_admin_hides_a_comment_and_its_reply_and_nothing_is_deleted(
    client: FlaskClient, completed: Sides, shared: Feedback
) -> None:
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    sign_in(client, admin.email)
    listing = client.get("/admin/feedback").get_data(as_text=True)
    assert "Found her a room within a week" in listing
    response = post_form(
        client, f"/admin/feedback/{shared.id}/hide", {"reason": "Names a member of staff"}
    )
    assert response.status_code == 302

    db.session.refresh(shared)
    assert shared.hidden_at is not None and shared.hidden_by_id == admin.id
    assert shared.hidden_reason == "Names a member of staff"
    assert shared.comments == "Found her a room within a week"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback_hidden"))
    assert audit.actor_id == admin.id and audit.detail["reason"] == "Names a member of staff"

    switch_user(client, UserFactory(role=Role.REFERRER).email)
    page = service_page(client, completed)
    assert "Found her a room within a week" not in page
    assert "Thank you: we try to move fast." not in page
    assert "No one has shared a comment about this service yet." in page
    # The rating still counts: hiding moderates words, not ratings.
    assert "from 1 rating" in page

    switch_user(client, completed.provider.email)
    ratings = client.get("/referrals/ratings").get_data(as_text=True)
    assert "Hidden</strong> from the service's page" in ratings
    assert "Names a member of staff" in ratings


def test_hiding_needs_a_reason(client: FlaskClient, shared: Feedback) -> None:
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    response = post_form(client, f"/admin/feedback/{shared.id}/hide", {"reason": "   "})
    assert response.status_code == 400
    assert "Enter why you are hiding this comment" in response.get_data(as_text=True)
    db.session.refresh(shared)
    assert shared.hidden_at is None


def test_a_comment_is_hidden_once(completed: Sides, shared: Feedback) -> None:
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    services.hide_feedback(shared, admin, "Abusive")
    with pytest.raises(TransitionRefused, match="already been hidden"):
        services.hide_feedback(shared, admin, "Again")


def test_a_private_comment_has_nothing_to_hide(client: FlaskClient, completed: Sides) -> None:
    feedback = services.give_feedback(
        completed.referral, actor=completed.referrer, rating=4, comments="Private"
    )
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    assert client.get(f"/admin/feedback/{feedback.id}/hide").status_code == 404


def signed_in_as(client: FlaskClient, sides: Sides, role: str) -> tuple[User, str]:
    """Sign in as someone of ``role`` who is not a platform admin; returns them and a page
    of theirs with a form token."""
    user = {
        "provider": sides.provider,
        "referrer": sides.referrer,
        "commissioner": UserFactory(role=Role.COMMISSIONER),
    }[role]
    sign_in(client, user.email)
    return user, "/referrals" if role != "commissioner" else "/dashboard"


@pytest.mark.parametrize("role", ["provider", "referrer", "commissioner"])
def test_only_platform_admins_may_hide_comments(
    client: FlaskClient, completed: Sides, shared: Feedback, role: str
) -> None:
    user, token_page = signed_in_as(client, completed, role)
    assert client.get("/admin/feedback").status_code == 403
    assert client.get(f"/admin/feedback/{shared.id}/hide").status_code == 403
    response = post_form(
        client, f"/admin/feedback/{shared.id}/hide", {"reason": "Mine"}, form_page=token_page
    )
    assert response.status_code == 403
    with pytest.raises(NotPermitted):
        services.hide_feedback(shared, user, "Mine")
    db.session.refresh(shared)
    assert shared.hidden_at is None


@pytest.fixture
def hidden(shared: Feedback) -> Feedback:
    """The shared comment, hidden by an admin (committed, as the pages see it)."""
    services.hide_feedback(shared, UserFactory(role=Role.PLATFORM_ADMIN), "Looked like a name")
    db.session.commit()
    return shared


def test_an_admin_shows_a_comment_hidden_by_mistake_again(
    client: FlaskClient, completed: Sides, hidden: Feedback
) -> None:
    shared = hidden
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    sign_in(client, admin.email)
    listing = client.get("/admin/feedback").get_data(as_text=True)
    assert f'action="/admin/feedback/{shared.id}/show"' in listing
    response = post_form(
        client, f"/admin/feedback/{shared.id}/show", {}, form_page="/admin/feedback"
    )
    assert response.status_code == 302
    assert "Comment shown on the service" in client.get("/admin/feedback").get_data(as_text=True)

    db.session.refresh(shared)
    assert shared.hidden_at is None and shared.hidden_by_id is None
    assert shared.hidden_reason is None
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback_shown_again"))
    assert audit.actor_id == admin.id and audit.detail["hidden_reason"] == "Looked like a name"
    # The hide itself stays on record.
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback_hidden"))

    switch_user(client, UserFactory(role=Role.REFERRER).email)
    page = service_page(client, completed)
    assert "Found her a room within a week" in page
    assert "Thank you: we try to move fast." in page


def test_a_comment_that_is_not_hidden_cannot_be_shown_again(
    client: FlaskClient, completed: Sides, shared: Feedback
) -> None:
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    with pytest.raises(TransitionRefused, match="not hidden"):
        services.show_feedback_again(shared, admin)
    sign_in(client, admin.email)
    response = post_form(
        client, f"/admin/feedback/{shared.id}/show", {}, form_page="/admin/feedback"
    )
    assert response.status_code == 302
    assert "This comment is not hidden." in client.get("/admin/feedback").get_data(as_text=True)
    private = services.give_feedback(
        completed.referral, actor=completed.provider, rating=4, comments="Private"
    )
    db.session.commit()
    response = post_form(
        client, f"/admin/feedback/{private.id}/show", {}, form_page="/admin/feedback"
    )
    assert response.status_code == 404


def test_showing_again_needs_the_form_token(client: FlaskClient, hidden: Feedback) -> None:
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    assert client.post(f"/admin/feedback/{hidden.id}/show").status_code == 400
    db.session.refresh(hidden)
    assert hidden.hidden_at is not None


@pytest.mark.parametrize("role", ["provider", "referrer", "commissioner"])
def test_only_platform_admins_may_show_comments_again(
    client: FlaskClient, completed: Sides, hidden: Feedback, role: str
) -> None:
    shared = hidden
    user, token_page = signed_in_as(client, completed, role)
    response = post_form(client, f"/admin/feedback/{shared.id}/show", {}, form_page=token_page)
    assert response.status_code == 403
    with pytest.raises(NotPermitted):
        services.show_feedback_again(shared, user)
    db.session.refresh(shared)
    assert shared.hidden_at is not None


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient, shared: Feedback) -> None:
    response = client.get("/admin/feedback")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_admin_dashboard_leads_to_the_shared_comments(
    client: FlaskClient, shared: Feedback
) -> None:
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/admin/feedback"' in page
    assert "Comments shared on service pages" in page
