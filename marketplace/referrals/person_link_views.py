"""The person's own pages, reached by their tokenised link: no account, one referral.

Public by design (``@public``) but scoped by the token: every route resolves the token
first and acts only on that referral. Pages are never cached or indexed and send no
Referer, so the token does not leak to other sites.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from marketplace.authz import public
from marketplace.database import utcnow
from marketplace.extensions import db, limiter
from marketplace.jobs import commit
from marketplace.referrals import person_links, services
from marketplace.referrals.forms import ActionForm, RearrangeForm, SharedFeedbackForm
from marketplace.referrals.lifecycle import LifecycleError
from marketplace.referrals.models import AppointmentStatus, FeedbackAuthor, ReferralState
from marketplace.referrals.person_links import LinkProblem

blueprint = Blueprint("person_link", __name__, url_prefix="/p")

LINK_RATE_LIMIT = "60 per minute"

PERSON_SHARING_HINT = (
    "Professionals who refer people to services, and staff at services, will see it with "
    "the month and your rating, but not your name. Do not include your name, anyone "
    "else's, or any details that could identify you or anyone else."
)


@blueprint.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _with_link(view: Callable[..., Any]) -> Callable[..., Any]:
    """Resolve the token (or show why the link does not work) before ``view`` runs."""

    def run(token: str, *args: Any) -> Any:
        try:
            link = person_links.resolve(token)
        except LinkProblem as problem:
            return render_template("person_link/problem.html", problem=problem), problem.status
        return view(link, token, *args)

    return run


def _home(token: str) -> Response:
    return redirect(url_for("person_link.home", token=token))


def _attempt(action: Callable[[], Any], token: str, success: str) -> Response:
    try:
        action()
    except LifecycleError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _home(token)
    commit()
    flash(success, "success")
    return _home(token)


@blueprint.get("/<token>")
@public
@limiter.limit(LINK_RATE_LIMIT)
def home(token: str) -> Any:
    @_with_link
    def show(link: Any, token: str) -> Any:
        referral = link.referral
        # Scheduled appointments that have not ended yet.
        upcoming = [
            a
            for a in referral.appointments
            if a.status == AppointmentStatus.SCHEDULED
            and services.check_in_window(a)[1] >= utcnow()
        ]
        feedback_due = (
            referral.state == ReferralState.COMPLETED
            and services.feedback_from(referral, FeedbackAuthor.PERSON) is None
        )
        return render_template(
            "person_link/home.html",
            referral=referral,
            token=token,
            upcoming=upcoming,
            feedback_due=feedback_due,
            action_form=ActionForm(formdata=None),
            where_text=services.where_text,
            check_in_window=services.check_in_window,
            now=utcnow(),
        )

    return show(token)


@blueprint.post("/<token>/appointments/<int:appointment_id>/confirm")
@public
@limiter.limit(LINK_RATE_LIMIT)
def confirm(token: str, appointment_id: int) -> Any:
    @_with_link
    def act(link: Any, token: str, appointment_id: int) -> Any:
        if not ActionForm().validate_on_submit():
            return _home(token)
        return _attempt(
            lambda: services.person_confirm(link, appointment_id),
            token,
            "Thank you. You have confirmed your appointment.",
        )

    return act(token, appointment_id)


@blueprint.post("/<token>/appointments/<int:appointment_id>/check-in")
@public
@limiter.limit(LINK_RATE_LIMIT)
def check_in(token: str, appointment_id: int) -> Any:
    @_with_link
    def act(link: Any, token: str, appointment_id: int) -> Any:
        if not ActionForm().validate_on_submit():
            return _home(token)
        return _attempt(
            lambda: services.person_check_in(link, appointment_id),
            token,
            "You have checked in. Staff know you are here.",
        )

    return act(token, appointment_id)


@blueprint.route("/<token>/appointments/<int:appointment_id>/rearrange", methods=["GET", "POST"])
@public
@limiter.limit(LINK_RATE_LIMIT)
def rearrange(token: str, appointment_id: int) -> Any:
    @_with_link
    def act(link: Any, token: str, appointment_id: int) -> Any:
        form = RearrangeForm()
        if form.validate_on_submit():
            return _attempt(
                lambda: services.person_request_rearrange(
                    link, appointment_id, form.note.data or ""
                ),
                token,
                "We have asked the service to find you another time.",
            )
        return render_template("person_link/rearrange.html", form=form, token=token), (
            400 if form.errors else 200
        )

    return act(token, appointment_id)


@blueprint.route("/<token>/feedback", methods=["GET", "POST"])
@public
@limiter.limit(LINK_RATE_LIMIT)
def feedback(token: str) -> Any:
    @_with_link
    def act(link: Any, token: str) -> Any:
        referral = link.referral
        form = SharedFeedbackForm()
        form.rating.label.text = "How would you rate the help you got?"
        form.shared.description = PERSON_SHARING_HINT
        if form.validate_on_submit():
            try:
                services.give_feedback(
                    referral,
                    author_kind=FeedbackAuthor.PERSON,
                    rating=int(form.rating.data or 0),
                    comments=form.comments.data or "",
                    shared=bool(form.shared.data),
                )
            except LifecycleError as error:
                db.session.rollback()
                flash(error.message, "error")
                return _home(token)
            commit()
            return render_template("person_link/thanks.html", referral=referral)
        return render_template(
            "person_link/feedback.html", form=form, token=token, referral=referral
        ), (400 if form.errors else 200)

    return act(token)
