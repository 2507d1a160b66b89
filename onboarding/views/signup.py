"""Organisation sign-up, the set-up task list and the organisation's details."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from marketplace.accounts.models import Role
from marketplace.authz import get_or_404, organisation_ids, public, requires
from marketplace.extensions import limiter
from marketplace.jobs import commit
from marketplace.organisations import queries, services
from marketplace.organisations.models import Organisation, VerificationStatus
from onboarding.blueprint import blueprint
from onboarding.forms.fields import options
from onboarding.forms.organisation import ConfirmForm, OrganisationDetailsForm, SignUpForm


def area_choices() -> list[SelectChoice]:
    return options((area.id, area.name) for _, areas in queries.area_choices() for area in areas)


def _sign_up_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


@blueprint.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(_sign_up_limit, methods=["POST"])
def sign_up() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated and current_user.role == Role.PROVIDER:
        owned = sorted(organisation_ids(current_user))
        if owned:
            return redirect(url_for("onboarding.setup", organisation_id=owned[0]))
    form = SignUpForm()
    form.area_ids.choices = area_choices()
    if form.validate_on_submit():
        account = services.NewAccount(
            name=form.account_name.data or "",
            email=form.account_email.data or "",
            password=form.password.data or "",
        )
        try:
            user, organisation = services.sign_up(account, form.details())
        except services.OrganisationError as error:
            field = "account_email" if error.field == "email" else error.field
            getattr(form, field or "name").errors.append(str(error))
        else:
            login_user(user)
            commit()
            flash("Your account has been created. Finish setting up your organisation.", "success")
            return redirect(url_for("onboarding.setup", organisation_id=organisation.id))
    status = 400 if form.errors else 200
    return render_template(
        "onboarding/sign_up.html", form=form, area_groups=queries.area_choices()
    ), status


@blueprint.get("/organisations/<int:organisation_id>/setup")
@requires("organisation:view")
def setup(organisation_id: int) -> str:
    organisation = get_or_404(Organisation, organisation_id, "organisation:view")
    return render_template(
        "onboarding/setup.html",
        organisation=organisation,
        progress=queries.setup_progress(organisation),
        confirm=ConfirmForm(),
    )


@blueprint.route("/organisations/<int:organisation_id>/details", methods=["GET", "POST"])
@requires("organisation:edit")
def edit_details(organisation_id: int) -> str | Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "organisation:edit")
    form = OrganisationDetailsForm(obj=organisation)
    form.area_ids.choices = area_choices()
    if not form.is_submitted():
        form.area_ids.data = [area.id for area in organisation.areas]
    if form.validate_on_submit():
        try:
            services.update_details(organisation, form.details(), current_user)
        except services.OrganisationError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            commit()
            flash("Organisation details saved.", "success")
            return redirect(url_for("onboarding.setup", organisation_id=organisation.id))
    status = 400 if form.errors else 200
    return render_template(
        "onboarding/details.html",
        form=form,
        organisation=organisation,
        area_groups=queries.area_choices(),
    ), status


@blueprint.post("/organisations/<int:organisation_id>/submit")
@requires("organisation:edit")
def submit_for_verification(organisation_id: int) -> Response:
    organisation = get_or_404(Organisation, organisation_id, "organisation:edit")
    form = ConfirmForm()
    progress = queries.setup_progress(organisation)
    if not form.validate_on_submit() or not progress.ready_to_submit:
        flash("Add at least one service before sending your organisation for verification.")
        return redirect(url_for("onboarding.setup", organisation_id=organisation.id))
    if organisation.status in (VerificationStatus.PENDING, VerificationStatus.REJECTED):
        services.submit_for_verification(organisation, current_user)
        commit()
        flash("Sent for verification. We will email you when it has been checked.", "success")
    return redirect(url_for("onboarding.setup", organisation_id=organisation.id))
