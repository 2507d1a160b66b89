"""The organisation's team: invitations, roles, removal, and accepting an invitation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from marketplace.authz import get_or_404, public, requires
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.organisations import queries, services
from marketplace.organisations.models import Invitation, Membership, MembershipRole, Organisation
from onboarding.blueprint import blueprint
from onboarding.forms.organisation import ConfirmForm
from onboarding.forms.team import InviteForm, JoinWithNewAccountForm, RoleForm


def _team_page(organisation: Organisation, form: InviteForm, status: int = 200):  # noqa: ANN202
    return render_template(
        "onboarding/team.html",
        organisation=organisation,
        members=queries.members(organisation),
        invitations=queries.open_invitations(organisation),
        form=form,
        confirm=ConfirmForm(),
    ), status


@blueprint.route("/organisations/<int:organisation_id>/team", methods=["GET", "POST"])
@requires("team:manage")
def team(organisation_id: int) -> Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "team:manage")
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(
                organisation, form.email.data or "", MembershipRole(form.role.data), current_user
            )
        except services.TeamError as error:
            form.email.errors.append(str(error))
        else:
            commit()
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for("onboarding.team", organisation_id=organisation.id))
    return _team_page(organisation, form, 400 if form.errors else 200)


def _membership(organisation: Organisation, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        abort(404)
    return membership


@blueprint.route(
    "/organisations/<int:organisation_id>/team/<int:membership_id>/role", methods=["GET", "POST"]
)
@requires("team:manage")
def change_role(organisation_id: int, membership_id: int) -> str | Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "team:manage")
    membership = _membership(organisation, membership_id)
    form = RoleForm(data={"role": membership.role.value})
    if form.validate_on_submit():
        try:
            services.set_role(membership, MembershipRole(form.role.data), current_user)
        except services.TeamError as error:
            form.role.errors.append(str(error))
        else:
            commit()
            flash(f"{membership.user.name}’s role is saved.", "success")
            return redirect(url_for("onboarding.team", organisation_id=organisation.id))
    return render_template(
        "onboarding/role.html", form=form, organisation=organisation, membership=membership
    ), 400 if form.errors else 200


@blueprint.post("/organisations/<int:organisation_id>/team/<int:membership_id>/remove")
@requires("team:manage")
def remove_member(organisation_id: int, membership_id: int) -> Response:
    organisation = get_or_404(Organisation, organisation_id, "team:manage")
    membership = _membership(organisation, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = membership.user.name
    try:
        services.remove_member(membership, current_user)
    except services.TeamError as error:
        flash(str(error))
    else:
        commit()
        flash(f"{name} has been removed from {organisation.name}.", "success")
    return redirect(url_for("onboarding.team", organisation_id=organisation.id))


@blueprint.post("/organisations/<int:organisation_id>/team/invitations/<int:invitation_id>/revoke")
@requires("team:manage")
def revoke_invitation(organisation_id: int, invitation_id: int) -> Response:
    organisation = get_or_404(Organisation, organisation_id, "team:manage")
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.revoke_invitation(invitation, current_user)
    commit()
    flash(f"The invitation to {invitation.email} has been cancelled.", "success")
    return redirect(url_for("onboarding.team", organisation_id=organisation.id))


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    """Anyone with the link may open it; only the invited address can use it."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationError as error:
        return render_template("onboarding/invitation_invalid.html", reason=str(error)), 400
    existing = services.find_user_by_email(invitation.email)
    if current_user.is_authenticated:
        form = ConfirmForm()
        problem = None
        if form.validate_on_submit():
            try:
                services.accept_invitation(invitation, current_user)
            except services.TeamError as refused:
                problem = str(refused)
            else:
                commit()
                flash(f"You have joined {invitation.organisation.name}.", "success")
                return redirect(url_for("dashboard.index"))
        return render_template(
            "onboarding/invitation.html", invitation=invitation, confirm=form, error=problem
        ), 400 if problem else 200
    if existing is not None:
        return render_template("onboarding/invitation.html", invitation=invitation, sign_in=True)
    form = JoinWithNewAccountForm()
    if form.validate_on_submit():
        user = services.create_account_for_invitation(
            invitation, form.name.data or "", form.password.data or ""
        )
        login_user(user)
        commit()
        flash(
            f"Your account has been created and you have joined {invitation.organisation.name}.",
            "success",
        )
        return redirect(url_for("dashboard.index"))
    return render_template(
        "onboarding/invitation.html", invitation=invitation, form=form
    ), 400 if form.errors else 200
