"""``GET /api/v1/services`` and ``GET /api/v1/services/{id}``: the directory as open data.

Public (the directory holds no personal data), rate limited, and open to any origin as
Open Referral UK asks of published feeds. Parameters and shapes follow ORUK / HSDS 3
where they fit; see the OpenAPI document at /api/v1/openapi.json.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.wrappers import Response

from marketplace.api.errors import documented_errors
from marketplace.authz import public
from marketplace.directory.models import Service
from marketplace.errors import json_error
from marketplace.extensions import limiter
from marketplace.service_search import queries
from marketplace.service_search.schemas import (
    ServicePageSchema,
    ServiceSchema,
    location_json,
    taxonomy_term,
)
from search.engine import find_services
from search.facets import capacity_now
from search.parser import SEARCH_ARGS, QueryError
from search.query import SearchQuery
from search.results import Hit, SearchResult, age_limits

blueprint = Blueprint(
    "services",
    __name__,
    url_prefix="/api/v1/services",
    description="Find services: text, needs (taxonomy_term_id), postcode and proximity, "
    "eligibility filters, facet counts. Open Referral UK style; no authentication.",
)


def _rate_limit() -> str:
    return str(current_app.config["SEARCH_API_RATE_LIMIT"])


@blueprint.after_request
def _open_to_any_origin(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.service_id,
        "name": hit.name,
        "summary": hit.summary,
        "organization": {
            "id": hit.organisation_id,
            "name": hit.organisation_name,
            "verified": hit.organisation_verified,
        },
        "taxonomy_terms": [taxonomy_term(need.code, need.name) for need in hit.needs],
        "delivery_modes": list(hit.delivery_modes),
        "capacity_status": hit.capacity,
        "places_left": hit.places_left,
        "waiting_days": hit.waiting_days,
        "rating": round(hit.rating, 2) if hit.rating is not None else None,
        "rating_count": hit.rating_count,
        "minimum_age": hit.min_age,
        "maximum_age": hit.max_age,
        "distance": round(hit.distance_km * 1000) if hit.distance_km is not None else None,
        "locations": [location_json(location) for location in hit.locations],
        "highlights": [
            "".join(
                f"<mark>{_escape(s.text)}</mark>" if s.matched else _escape(s.text)
                for s in fragment
            )
            for fragment in hit.highlights
        ],
    }


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def page_json(result: SearchResult) -> dict[str, Any]:
    """The HSDS page for a search result."""
    query = result.query
    return {
        "total_items": result.total,
        "total_pages": result.pages,
        "page_number": query.page,
        "size": query.per_page,
        "first_page": query.page == 1,
        "last_page": query.page >= result.pages,
        "empty": result.total == 0,
        "contents": [_hit_json(hit) for hit in result.hits],
        "facets": {
            name: [
                {"value": v.value, "count": v.count, "selected": v.selected} for v in facet.values
            ]
            for name, facet in result.facets.items()
        },
        "backend": result.backend,
    }


def _errors(error: QueryError) -> Response:
    return json_error(
        422,
        str(error),
        errors=[{"field": e.field, "message": e.message} for e in error.errors],
    )


@blueprint.route("")
class Services(MethodView):
    @public
    @limiter.limit(_rate_limit)
    @blueprint.arguments(SEARCH_ARGS, location="query", as_kwargs=False)
    @blueprint.response(200, ServicePageSchema)
    @documented_errors(
        blueprint, 422, 429, descriptions={422: "Bad or unknown parameters, or a page past the end"}
    )
    def get(self, query: SearchQuery) -> Any:
        """Search services

        Published services of verified organisations. With ``postcode`` (or ``lat`` and
        ``lon``) results carry distances and default to nearest first; ``proximity`` keeps
        those within that many metres, ``delivers_to_area`` those whose service areas
        contain the place. Facet counts leave out each facet's own filter.
        """
        try:
            result = find_services(query)
        except QueryError as error:
            return _errors(error)
        if result.past_the_end:
            return _errors(
                QueryError.single(
                    "page", f"Page {query.page} is past the last page ({result.pages})"
                )
            )
        # Already in the documented shape (tests check responses against the OpenAPI
        # document): skip re-serialising a few hundred facet values through marshmallow.
        return jsonify(page_json(result))


def service_json(service: Service, positions: dict[int, tuple[float, float]]) -> dict[str, Any]:
    """The full service; ``positions`` holds (lat, lon) of its locations."""
    minimum_age, maximum_age = age_limits(service.min_age, service.max_age)
    locations = []
    for location in sorted(service.locations, key=lambda loc: loc.id):
        lat, lon = (None, None) if location.hidden else positions[location.id]
        locations.append(
            {
                "id": location.id,
                "hidden": location.hidden,
                "name": None if location.hidden else location.name,
                "city": None if location.hidden else location.town,
                "postal_code": None if location.hidden else location.postcode,
                "latitude": lat,
                "longitude": lon,
                "area": location.area.name if location.area else None,
                "distance": None,
            }
        )
    organisation = service.organisation
    return {
        "id": service.id,
        "name": service.name,
        "summary": service.summary,
        "description": service.description,
        "status": service.status.value,
        "email": service.contact_email,
        "phone": service.contact_phone,
        "opening_times": service.opening_times,
        "organization": {
            "id": organisation.id,
            "name": organisation.name,
            "verified": organisation.is_verified,
            "website": organisation.website,
            "last_verified": organisation.last_verified_at,
        },
        "taxonomy_terms": [taxonomy_term(need.code, need.name) for need in service.needs],
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "genders": list(service.genders),
        "cjs_stages": list(service.cjs_stages),
        "risk_levels": list(service.risk_levels),
        "offence_exclusions": list(service.offence_exclusions),
        "languages": list(service.languages),
        "interpreter_available": service.interpreter_available,
        "accessibility": list(service.accessibility),
        "delivery_modes": list(service.delivery_modes),
        "referral_routes": list(service.referral_routes),
        "capacity_status": capacity_now(
            service.capacity_status.value, service.capacity, service.places_taken
        ),
        "places_left": service.places_left,
        "waiting_days": service.waiting_days,
        "rating": round(service.rating, 2) if service.rating is not None else None,
        "rating_count": service.rating_count,
        "service_areas": [
            {"id": area.id, "code": area.code, "name": area.name}
            for area in sorted(service.areas, key=lambda a: a.code)
        ],
        "locations": locations,
    }


@blueprint.route("/<int:service_id>")
class ServiceById(MethodView):
    @public
    @limiter.limit(_rate_limit)
    @blueprint.response(200, ServiceSchema)
    @documented_errors(blueprint, 404, 429, descriptions={404: "No such published service"})
    def get(self, service_id: int) -> Any:
        """One service

        A published service of a verified organisation, with its eligibility, capacity,
        service areas and locations.
        """
        service = queries.published_service(service_id)
        if service is None:
            return json_error(404, "There is no published service with that id", field="id")
        shown = [loc.id for loc in service.locations if not loc.hidden]
        return service_json(service, queries.positions(shown))
