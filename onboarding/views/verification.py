"""The platform admin's verification queue and decisions."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.models import User
from marketplace.authz import get_or_404, requires
from marketplace.directory import queries as directory_queries
from marketplace.jobs import commit
from marketplace.organisations import queries, services
from marketplace.organisations.models import Organisation, VerificationStatus
from onboarding.blueprint import blueprint
from onboarding.forms.organisation import ConfirmForm, ReasonForm

CHANGED = "changed"


@blueprint.get("/admin/organisations")
@requires("organisation:verify")
def verification_queue() -> str:
    """Organisations by verification state, plus those whose checked details changed
    since they were verified (``?status=changed``)."""
    wanted = request.args.get("status", VerificationStatus.PENDING)
    if wanted == CHANGED:
        status: str = CHANGED
        organisations = queries.organisations_with_changes_to_review()
    else:
        try:
            state = VerificationStatus(wanted)
        except ValueError:
            state = VerificationStatus.PENDING
        status = state
        organisations = queries.organisations_with_status(state)
    counts: dict[str, int] = {str(key): value for key, value in queries.status_counts().items()}
    counts[CHANGED] = queries.changed_count()
    return render_template(
        "onboarding/queue.html", status=status, organisations=organisations, counts=counts
    )


@blueprint.get("/admin/organisations/<int:organisation_id>")
@requires("organisation:verify")
def review(organisation_id: int) -> str:
    organisation = get_or_404(Organisation, organisation_id, "organisation:verify")
    return render_template(
        "onboarding/review.html",
        organisation=organisation,
        services=directory_queries.organisation_services(organisation),
        locations=directory_queries.organisation_locations(organisation),
        members=queries.members(organisation),
        confirm=ConfirmForm(),
    )


def _decide(organisation: Organisation, decision) -> Response:  # noqa: ANN001
    try:
        decision()
    except services.TransitionError as error:
        flash(str(error))
    else:
        commit()
    return redirect(url_for("onboarding.review", organisation_id=organisation.id))


def _confirmed_decision(
    organisation_id: int,
    action: Callable[[Organisation, User], None],
    done: Callable[[Organisation], bool],
    message: str,
) -> Response:
    """A decision taken with one button (no reason asked): check the form, take it, and
    say so when the organisation is then as ``done`` describes."""
    organisation = get_or_404(Organisation, organisation_id, "organisation:verify")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    response = _decide(organisation, lambda: action(organisation, current_user))
    if done(organisation):
        flash(message.format(name=organisation.name), "success")
    return response


@blueprint.post("/admin/organisations/<int:organisation_id>/verify")
@requires("organisation:verify")
def verify(organisation_id: int) -> Response:
    return _confirmed_decision(
        organisation_id, services.verify, lambda o: o.is_verified, "{name} is verified."
    )


@blueprint.post("/admin/organisations/<int:organisation_id>/reinstate")
@requires("organisation:verify")
def reinstate(organisation_id: int) -> Response:
    return _confirmed_decision(
        organisation_id, services.reinstate, lambda o: o.is_verified, "{name} is reinstated."
    )


@blueprint.post("/admin/organisations/<int:organisation_id>/confirm-changes")
@requires("organisation:verify")
def confirm_changes(organisation_id: int) -> Response:
    return _confirmed_decision(
        organisation_id,
        services.confirm_changes,
        lambda o: not o.has_changes_to_review,
        "The changes to {name} are confirmed.",
    )


DECISIONS = {
    "reject": (services.reject, "Reject {name}", "Why are you rejecting this organisation?"),
    "suspend": (services.suspend, "Suspend {name}", "Why are you suspending this organisation?"),
}


@blueprint.route(
    "/admin/organisations/<int:organisation_id>/<any(reject, suspend):decision>",
    methods=["GET", "POST"],
)
@requires("organisation:verify")
def decide_with_reason(organisation_id: int, decision: str) -> str | Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "organisation:verify")
    action, title, legend = DECISIONS[decision]
    form = ReasonForm()
    form.reason.label.text = legend
    form.submit.label.text = decision.capitalize() + " organisation"
    if form.validate_on_submit():
        try:
            action(organisation, current_user, form.reason.data or "")
        except services.TransitionError as error:
            flash(str(error))
        else:
            commit()
            flash(f"{organisation.name} is {organisation.status.value}.", "success")
        return redirect(url_for("onboarding.review", organisation_id=organisation.id))
    status = 400 if form.errors else 200
    return render_template(
        "onboarding/reason.html",
        form=form,
        organisation=organisation,
        title=title.format(name=organisation.name),
    ), status
