"""Creating, editing, publishing and pausing services, with check-your-answers."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from marketplace.accounts.models import Role
from marketplace.authz import get_or_404, organisation_ids, requires
from marketplace.directory import queries, services
from marketplace.directory.models import Service, ServiceStatus
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.organisations import queries as organisation_queries
from marketplace.organisations.models import Organisation
from marketplace.taxonomy.models import Need
from onboarding.blueprint import blueprint
from onboarding.forms.fields import options
from onboarding.forms.service import (
    LIMITED,
    NO_LIMIT,
    SECTIONS,
    DetailsForm,
    SectionForm,
    StatusForm,
)

SECTION_ORDER = list(SECTIONS)


@blueprint.get("/services", endpoint="services")
@requires("service:edit")
def services_index() -> str | Response:
    """The signed-in provider's services; with one organisation, go straight to it."""
    if current_user.role == Role.PLATFORM_ADMIN:
        return redirect(url_for("onboarding.verification_queue", status="verified"))
    owned = sorted(organisation_ids(current_user))
    if len(owned) == 1:
        return redirect(url_for("onboarding.organisation_services", organisation_id=owned[0]))
    organisations = [db.session.get(Organisation, organisation_id) for organisation_id in owned]
    return render_template("onboarding/organisations.html", organisations=organisations)


@blueprint.get("/organisations/<int:organisation_id>/services")
@requires("service:edit")
def organisation_services(organisation_id: int) -> str:
    organisation = get_or_404(Organisation, organisation_id, "organisation:view")
    return render_template(
        "onboarding/services.html",
        organisation=organisation,
        services=queries.organisation_services(organisation),
        locations=queries.organisation_locations(organisation),
    )


def need_groups() -> list[tuple[Need, list[Need]]]:
    categories = db.session.scalars(
        select(Need).where(Need.parent_code.is_(None)).order_by(Need.position)
    ).all()
    return [(category, list(category.children)) for category in categories]


def _prepare(form: SectionForm, service: Service | None, organisation: Organisation) -> None:
    """Fill in choices that come from the database and, on first load, the current values."""
    if hasattr(form, "need_codes"):
        form.need_codes.choices = options(
            (need.code, need.name)
            for category, children in need_groups()
            for need in [category, *children]
        )
    if hasattr(form, "location_ids"):
        form.location_ids.choices = options(
            (location.id, location.name)
            for location in queries.organisation_locations(organisation)
        )
    if hasattr(form, "area_ids"):
        form.area_ids.choices = options(
            (area.id, area.name)
            for _, areas in organisation_queries.area_choices()
            for area in areas
        )
    if service is None or form.is_submitted():
        return
    state = services.snapshot(service)
    for name in form.FIELDS:
        getattr(form, name).data = state[name]
    form.version.data = str(service.version)
    if hasattr(form, "limit"):
        form.limit.data = NO_LIMIT if service.capacity is None else LIMITED


def _render_section(
    form: SectionForm,
    section: str,
    organisation: Organisation,
    service: Service | None,
    status: int,
) -> tuple[str, int]:
    return render_template(
        "onboarding/service_section.html",
        form=form,
        section=section,
        section_title=SECTIONS[section][1],
        organisation=organisation,
        service=service,
        need_groups=need_groups() if section == "who" else [],
        area_groups=organisation_queries.area_choices() if section == "delivery" else [],
        locations=queries.organisation_locations(organisation) if section == "delivery" else [],
    ), status


@blueprint.route("/organisations/<int:organisation_id>/services/new", methods=["GET", "POST"])
@requires("service:edit")
def new_service(organisation_id: int) -> Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "service:edit")
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            service = services.create_service(organisation, form.changes(), current_user)
        except services.ServiceError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            commit()
            return redirect(
                url_for("onboarding.edit_service", service_id=service.id, section="who")
            )
    return _render_section(form, "details", organisation, None, 400 if form.errors else 200)


def _next_step(service: Service, section: str) -> str:
    position = SECTION_ORDER.index(section)
    if service.status == ServiceStatus.DRAFT and position + 1 < len(SECTION_ORDER):
        return url_for(
            "onboarding.edit_service", service_id=service.id, section=SECTION_ORDER[position + 1]
        )
    return url_for("onboarding.check_service", service_id=service.id)


@blueprint.route(
    "/services/<int:service_id>/edit/<any(details, who, delivery, capacity):section>",
    methods=["GET", "POST"],
)
@requires("service:edit")
def edit_service(service_id: int, section: str) -> Response | tuple[str, int]:
    service = get_or_404(Service, service_id, "service:edit")
    organisation = service.organisation
    form = SECTIONS[section][0]()
    _prepare(form, service, organisation)
    if form.validate_on_submit():
        try:
            services.change_service(
                service, form.changes(), current_user, expected_version=form.expected_version()
            )
        except services.StaleServiceError as error:
            form.version.errors.append(
                "This service was changed by someone else since you opened this page. "
                "Check the current details below, then save your changes again"
            )
            form.version.data = str(error.current_version)
            return render_template(
                "onboarding/service_section.html",
                form=form,
                section=section,
                section_title=SECTIONS[section][1],
                organisation=organisation,
                service=service,
                current=services.snapshot(service),
                latest=queries.versions(service)[:1],
                need_groups=need_groups() if section == "who" else [],
                area_groups=organisation_queries.area_choices() if section == "delivery" else [],
                locations=queries.organisation_locations(organisation)
                if section == "delivery"
                else [],
            ), 409
        except services.ServiceError as error:
            field = getattr(form, error.field or "", None) or getattr(form, form.FIELDS[0])
            field.errors = [*field.errors, str(error)]
        else:
            commit()
            if service.status != ServiceStatus.DRAFT:
                flash("Your changes have been saved.", "success")
            return redirect(_next_step(service, section))
    return _render_section(form, section, organisation, service, 400 if form.errors else 200)


def _summary(service: Service) -> dict[str, Any]:
    return {
        "needs": service.needs,
        "locations": service.locations,
        "areas": service.areas,
    }


@blueprint.get("/services/<int:service_id>")
@requires("service:edit")
def check_service(service_id: int) -> str:
    """Check your answers: every section with a change link, then publish or pause."""
    service = get_or_404(Service, service_id, "service:edit")
    return render_template(
        "onboarding/check_service.html",
        service=service,
        organisation=service.organisation,
        problems=services.publishing_problems(service),
        confirm=StatusForm(data={"version": str(service.version)}),
        **_summary(service),
    )


@blueprint.post("/services/<int:service_id>/<any(publish, pause):action>")
@requires("service:publish")
def change_status(service_id: int, action: str) -> Response | tuple[str, int]:
    service = get_or_404(Service, service_id, "service:publish")
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    change = services.publish_service if action == "publish" else services.pause_service
    try:
        change(service, current_user, expected_version=form.expected_version())
    except services.StaleServiceError:
        flash(
            "This service was changed by someone else since you opened the page. Check the answers again."
        )
        return redirect(url_for("onboarding.check_service", service_id=service.id))
    except services.NotReadyToPublish as missing:
        return render_template(
            "onboarding/check_service.html",
            service=service,
            organisation=service.organisation,
            problems=missing.missing,
            confirm=StatusForm(data={"version": str(service.version)}),
            publish_refused=True,
            **_summary(service),
        ), 400
    except services.ServiceError as error:
        flash(str(error))
        return redirect(url_for("onboarding.check_service", service_id=service.id))
    commit()
    if action == "publish":
        if service.organisation.is_verified:
            flash(f"{service.name} is published.", "success")
        else:
            flash(
                f"{service.name} is published. It will appear in search once your "
                "organisation has been verified.",
                "success",
            )
    else:
        flash(f"{service.name} is paused and no longer appears in search.", "success")
    return redirect(url_for("onboarding.check_service", service_id=service.id))


@blueprint.get("/services/<int:service_id>/history")
@requires("service:edit")
def service_history(service_id: int) -> str:
    service = get_or_404(Service, service_id, "service:edit")
    return render_template(
        "onboarding/service_history.html",
        service=service,
        organisation=service.organisation,
        versions=queries.versions(service),
    )
