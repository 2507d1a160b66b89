"""The quick capacity update: places, status and waiting time for every service at once."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.authz import get_or_404, requires
from marketplace.directory import queries, services
from marketplace.jobs import commit
from marketplace.organisations.models import Organisation
from marketplace.routing import whole_number
from marketplace.vocabulary import CapacityStatus
from onboarding.blueprint import blueprint
from onboarding.forms.capacity import QuickCapacityForm


@blueprint.route("/organisations/<int:organisation_id>/capacity", methods=["GET", "POST"])
@requires("capacity:update")
def capacity(organisation_id: int) -> Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "capacity:update")
    listed = queries.organisation_services(organisation)
    by_id = {service.id: service for service in listed}
    form = QuickCapacityForm()
    if not form.is_submitted():
        for service in listed:
            form.rows.append_entry(
                {
                    "service_id": str(service.id),
                    "version": str(service.version),
                    "capacity": service.capacity,
                    "capacity_status": service.capacity_status.value,
                    "waiting_days": service.waiting_days,
                }
            )
    stale = False
    if form.validate_on_submit():
        updates = [
            services.CapacityUpdate(
                service_id=whole_number(row.service_id.data) or 0,
                capacity=row.capacity.data,
                capacity_status=CapacityStatus(row.capacity_status.data),
                waiting_days=row.waiting_days.data,
                expected_version=whole_number(row.version.data),
            )
            for row in form.rows
        ]
        try:
            services.update_capacity(organisation, updates, current_user)
        except services.CapacityRefused as refused:
            stale = refused.stale
            by_service = {whole_number(row.service_id.data): row for row in form.rows}
            for service_id, field, message in refused.errors:
                row = by_service.get(service_id)
                if row is None:
                    continue
                target = (getattr(row, field, None) if field else None) or row.capacity
                target.errors = [*(target.errors or []), message]
        else:
            commit()
            flash("Capacity and waiting times saved.", "success")
            return redirect(url_for("onboarding.capacity", organisation_id=organisation.id))
    shown = [(row, by_id.get(whole_number(row.service_id.data) or 0)) for row in form.rows]
    status = 409 if stale else (400 if form.errors else 200)
    return render_template(
        "onboarding/capacity.html",
        form=form,
        organisation=organisation,
        rows=[(row, service) for row, service in shown if service is not None],
    ), status
