"""The public directory: verified organisations and their published services, readable
by anyone. No personal data: no staff names, no safeguarding contacts, and a hidden
location shows only its area, never its address or a map pin."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template, request

from marketplace.authz import public
from marketplace.directory import queries

blueprint = Blueprint("directory", __name__, url_prefix="/directory")


@blueprint.get("/")
@public
def index() -> str:
    need = request.args.get("need") or None
    categories = queries.need_categories()
    if need not in {category.code for category in categories}:
        need = None
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "directory/index.html",
        listing=queries.directory_page(page, need),
        categories=categories,
        need=need,
    )


@blueprint.get("/organisations/<int:organisation_id>")
@public
def organisation(organisation_id: int) -> str:
    found = queries.public_organisation(organisation_id)
    if found is None:
        abort(404)
    return render_template(
        "directory/organisation.html",
        organisation=found,
        services=queries.public_services(found),
    )


@blueprint.get("/services/<int:service_id>")
@public
def service(service_id: int) -> str:
    found = queries.public_service(service_id)
    if found is None:
        abort(404)
    shown = [location for location in found.locations if not location.hidden]
    hidden = [location for location in found.locations if location.hidden]
    return render_template(
        "directory/service.html",
        service=found,
        organisation=found.organisation,
        points=queries.map_points(shown),
        hidden_locations=hidden,
        tile_url=current_app.config["MAP_TILE_URL"],
        tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
    )


@blueprint.app_template_global("points_json")
def points_json(points: list[queries.MapPoint]) -> str:
    """Map points as JSON safe to embed in a <script> element. Only what a map pin needs:
    callers never pass hidden locations."""
    body = [
        {
            "lat": point.lat,
            "lon": point.lon,
            "label": point.location.name,
            "address": ", ".join(
                part
                for part in (
                    point.location.address_line_1,
                    point.location.town,
                    point.location.postcode,
                )
                if part
            ),
        }
        for point in points
    ]
    return json.dumps(body).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
