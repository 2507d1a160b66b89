"""Open Referral UK upload and export (admins), and the services CSV (providers)."""

from __future__ import annotations

import json

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from marketplace.authz import get_or_404, requires
from marketplace.directory import queries
from marketplace.directory.models import ImportRun
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.organisations.models import Organisation
from marketplace.taxonomy.models import Need
from onboarding import service_csv
from onboarding.blueprint import blueprint
from onboarding.forms.imports import CsvUploadForm, OrukUploadForm
from onboarding.oruk.exporter import export_directory
from onboarding.oruk.importer import import_tables
from onboarding.oruk.reading import UnreadableFile, read


@blueprint.errorhandler(RequestEntityTooLarge)
def file_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """An over-large upload is refused before the view runs: say so on a page with the
    upload form, as GOV.UK does for a file that is too big."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    size = f"{limit // 1024**2}MB" if limit >= 1024**2 else f"{limit // 1024}KB"
    return render_template("onboarding/too_large.html", limit=size), 413


@blueprint.route("/admin/import", methods=["GET", "POST"])
@requires("directory:import")
def import_oruk() -> str | Response | tuple[str, int]:
    form = OrukUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            tables = read(upload.stream)
        except UnreadableFile as error:
            form.file.errors.append(str(error))
        else:
            run = import_tables(
                tables,
                actor=current_user,
                filename=upload.filename or "upload.json",
                verified=bool(form.verified.data),
            )
            commit()
            return redirect(url_for("onboarding.import_report", run_id=run.id))
    return render_template(
        "onboarding/import_oruk.html", form=form, runs=queries.import_runs()
    ), 400 if form.errors else 200


@blueprint.get("/admin/imports/<int:run_id>")
@requires("directory:import")
def import_report(run_id: int) -> str:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        abort(404)
    return render_template("onboarding/import_report.html", run=run)


@blueprint.get("/directory/export.json")
@requires("directory:export")
def export_oruk() -> Response:
    body = json.dumps(export_directory(), default=str)
    return current_app.response_class(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="pathways-oruk.json"'},
    )


@blueprint.get("/organisations/<int:organisation_id>/services/template.csv")
@requires("service:edit")
def services_csv_template(organisation_id: int) -> Response:
    get_or_404(Organisation, organisation_id, "service:edit")
    return current_app.response_class(
        service_csv.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="pathways-services-template.csv"'},
    )


@blueprint.route("/organisations/<int:organisation_id>/services/upload", methods=["GET", "POST"])
@requires("service:edit")
def upload_services(organisation_id: int) -> str | Response | tuple[str, int]:
    organisation = get_or_404(Organisation, organisation_id, "service:edit")
    form = CsvUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            run = service_csv.import_services_csv(
                organisation,
                upload.stream,
                upload.filename or "services.csv",
                current_user,
                set(db.session.scalars(select(Need.code))),
            )
        except service_csv.UnreadableCsv as error:
            form.file.errors.append(str(error))
        else:
            commit()
            return redirect(
                url_for("onboarding.upload_report", organisation_id=organisation.id, run_id=run.id)
            )
    return render_template(
        "onboarding/upload_services.html", form=form, organisation=organisation
    ), 400 if form.errors else 200


@blueprint.get("/organisations/<int:organisation_id>/uploads/<int:run_id>")
@requires("service:edit")
def upload_report(organisation_id: int, run_id: int) -> str:
    organisation = get_or_404(Organisation, organisation_id, "service:edit")
    run = db.session.get(ImportRun, run_id)
    if run is None or run.organisation_id != organisation.id:
        abort(404)
    return render_template("onboarding/import_report.html", run=run, organisation=organisation)
