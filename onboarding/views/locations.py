"""An organisation's delivery locations, with the postcode geocoded offline."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.authz import get_or_404, requires
from marketplace.directory import queries, services
from marketplace.directory.models import Location
from marketplace.jobs import commit
from marketplace.organisations.models import Organisation
from onboarding.blueprint import blueprint
from onboarding.forms.location import LocationForm
from onboarding.forms.organisation import ConfirmForm


@blueprint.get("/organisations/<int:organisation_id>/locations")
@requires("location:edit")
def locations(organisation_id: int) -> str:
    organisation = get_or_404(Organisation, organisation_id, "location:edit")
    listed = queries.organisation_locations(organisation)
    return render_template(
        "onboarding/locations.html",
        organisation=organisation,
        locations=listed,
        points=queries.map_points(listed),
        confirm=ConfirmForm(),
        tile_url=current_app.config["MAP_TILE_URL"],
    )


def _save(
    organisation: Organisation, form: LocationForm, location: Location | None
) -> Response | None:
    if not form.validate_on_submit():
        return None
    try:
        saved = services.save_location(organisation, form.fields(), current_user, location)
    except services.LocationError as error:
        getattr(form, error.field or "postcode").errors.append(str(error))
        return None
    commit()
    flash(f"{saved.name} is saved.", "success")
    return redirect(url_for("onboarding.locations", organisation_id=organisation.id))


@blueprint.route("/organisations/<int:organisation_id>/locations/new", methods=["GET", "POST"])
@requires("location:edit")
def new_location(organisation_id: int) -> Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "location:edit")
    form = LocationForm()
    return _save(organisation, form, None) or (
        render_template("onboarding/location_form.html", form=form, organisation=organisation),
        400 if form.errors else 200,
    )


@blueprint.route("/locations/<int:location_id>/edit", methods=["GET", "POST"])
@requires("location:edit")
def edit_location(location_id: int) -> Response | tuple[str, int]:
    location = get_or_404(Location, location_id, "location:edit")
    form = LocationForm(obj=location)
    return _save(location.organisation, form, location) or (
        render_template(
            "onboarding/location_form.html",
            form=form,
            organisation=location.organisation,
            location=location,
        ),
        400 if form.errors else 200,
    )


@blueprint.post("/locations/<int:location_id>/remove")
@requires("location:edit")
def remove_location(location_id: int) -> Response:
    location = get_or_404(Location, location_id, "location:edit")
    organisation_id = location.organisation_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = location.name
    try:
        services.remove_location(location, current_user)
    except (services.LocationError, services.ServiceError) as error:
        flash(f"{name} was not removed: {error}")
    else:
        commit()
        flash(f"{name} has been removed.", "success")
    return redirect(url_for("onboarding.locations", organisation_id=organisation_id))
