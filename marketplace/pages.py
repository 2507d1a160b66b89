"""Public pages: the start page, about the data, accessibility, and the GOV.UK asset path."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.authz import public

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
@public
def start() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render_template("pages/start.html")


@blueprint.get("/about-the-data")
@public
def about_the_data() -> str:
    return render_template("pages/about_the_data.html")


@blueprint.get("/accessibility")
@public
def accessibility() -> str:
    return render_template("pages/accessibility.html")


@blueprint.get("/favicon.ico")
@public
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer it rather than with a
    404 page (which would also use up the next page's flashed messages)."""
    folder = current_app.static_folder + "/vendor/govuk/assets/images"  # type: ignore[operator]
    return send_from_directory(folder, "favicon.ico", max_age=60 * 60 * 24)


@blueprint.get("/healthz")
@public
def health() -> dict[str, str]:
    return {"status": "ok"}
