"""The public directory: verified organisations and their published services, readable
by anyone. No personal data: no staff names, no safeguarding contacts, and a hidden
location shows only its area, never its address or a map pin."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request
from flask_login import current_user

from marketplace.authz import can, public
from marketplace.directory import queries
from marketplace.referrals import queries as referral_queries
from marketplace.referrals.ratings import service_rating
from marketplace.routing import page_number

blueprint = Blueprint("directory", __name__, url_prefix="/directory")


@blueprint.get("/")
@public
def index() -> str:
    need = request.args.get("need") or None
    categories = queries.need_categories()
    if need not in {category.code for category in categories}:
        need = None
    page = page_number(request.args)
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
def service(service_id: int) -> Response:
    """A service's page: what it offers, where, and its smoothed rating for everyone.

    Signed-in referrers, providers and platform admins (``feedback:read_shared``) also
    read "What people said": the comments their authors chose to share, with the
    provider's replies. Anonymous visitors and commissioners see the rating and how many
    ratings only: free text can carry personal data however carefully it is written, so
    it stays behind sign-in and with the people who choose and provide services. This is
    also the page the referrer's search and matches link to.
    """
    found = queries.public_service(service_id)
    if found is None:
        abort(404)
    shown = [location for location in found.locations if not location.hidden]
    hidden = [location for location in found.locations if location.hidden]
    reads_comments = can(current_user, "feedback:read_shared")
    page = page_number(request.args)
    response = make_response(
        render_template(
            "directory/service.html",
            service=found,
            organisation=found.organisation,
            points=queries.map_points(shown),
            hidden_locations=hidden,
            rating=service_rating(found.rating_sum, found.rating_count),
            comments=referral_queries.shared_comments(found, page) if reads_comments else None,
            tile_url=current_app.config["MAP_TILE_URL"],
            tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
        )
    )
    # The same address shows comments to some users and not others: never from a cache.
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response


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
