"""The platform admin's page of comments shared on service pages, and hiding one.

Hiding keeps the comment (who hid it, when and why are stored with it, and the audit log
records it); it and the provider's reply leave the service's page. A comment hidden by
mistake can be shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.models import User
from marketplace.authz import requires
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.referrals import queries, services
from marketplace.referrals.forms import ActionForm, HideFeedbackForm
from marketplace.referrals.lifecycle import LifecycleError
from marketplace.referrals.models import Feedback
from marketplace.routing import page_number

blueprint = Blueprint("feedback_admin", __name__, url_prefix="/admin/feedback")


@blueprint.get("")
@requires("feedback:moderate")
def index() -> str:
    page = page_number(request.args)
    rows, total = queries.moderation_list(page)
    return render_template(
        "referrals/moderation.html",
        rows=rows,
        total=total,
        page=page,
        pages=max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1),
        shared_author=queries.SHARED_AUTHOR_LABELS,
    )


def _shared_feedback(feedback_id: int) -> Feedback:
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None or not feedback.shared:
        abort(404)
    return feedback


def _moderate(action: Callable[[User], object], done: str) -> Response:
    """Run a moderation ``action`` as the signed-in admin and commit; a refusal rolls back.
    Either way the admin goes back to the list, with a message."""
    try:
        action(current_user._get_current_object())  # type: ignore[attr-defined]
    except LifecycleError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        commit()
        flash(done, "success")
    return redirect(url_for("feedback_admin.index"))


@blueprint.route("/<int:feedback_id>/hide", methods=["GET", "POST"])
@requires("feedback:moderate")
def hide(feedback_id: int) -> Any:
    feedback = _shared_feedback(feedback_id)
    form = HideFeedbackForm()
    if form.validate_on_submit():
        return _moderate(
            lambda admin: services.hide_feedback(feedback, admin, form.reason.data or ""),
            "Comment hidden from the service's page",
        )
    return render_template(
        "referrals/hide_feedback.html",
        form=form,
        feedback=feedback,
        shared_author=queries.SHARED_AUTHOR_LABELS,
    ), 400 if form.errors else 200


@blueprint.post("/<int:feedback_id>/show")
@requires("feedback:moderate")
def show_again(feedback_id: int) -> Response:
    feedback = _shared_feedback(feedback_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _moderate(
        lambda admin: services.show_feedback_again(feedback, admin),
        "Comment shown on the service's page again",
    )
