"""The notifications admin page: messages that failed or died, and re-driving them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from marketplace.authz import requires
from marketplace.notifications import queries
from marketplace.notifications.jobs import drain_outbox, redrive
from marketplace.routing import page_number

blueprint = Blueprint("notifications", __name__, url_prefix="/admin/notifications")


class RedriveForm(FlaskForm):
    """A re-drive button: CSRF only."""


@blueprint.get("")
@requires("outbox:manage")
def failures() -> str:
    page = page_number(request.args)
    rows, counts = queries.undelivered(page)
    total = sum(counts.values())
    return render_template(
        "notifications/failures.html",
        rows=rows,
        counts=counts,
        page=page,
        pages=max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1),
        form=RedriveForm(formdata=None),
    )


@blueprint.post("/redrive")
@requires("outbox:manage")
def redrive_all() -> Response:
    return _redrive(None)


@blueprint.post("/<int:message_id>/redrive")
@requires("outbox:manage")
def redrive_one(message_id: int) -> Response:
    return _redrive([message_id])


def _redrive(message_ids: list[int] | None) -> Any:
    if not RedriveForm().validate_on_submit():
        abort(400)
    count = redrive(message_ids)  # commits
    drain_outbox()
    if count == 0:
        flash("There was nothing to re-drive: the message was already sent.", "error")
    else:
        flash(f"Re-drove {count} message{'s' if count != 1 else ''}", "success")
    return redirect(url_for("notifications.failures"))
