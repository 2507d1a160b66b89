"""The services API's response shapes (marshmallow), after Open Referral UK / HSDS 3.

A list is an HSDS page (``total_items``, ``total_pages``, ``page_number``, ``size``,
``first_page``, ``last_page``, ``empty``, ``contents``) with Pathways' ``facets`` and
``backend``. Distances are in metres, as the ``proximity`` parameter. A hidden location
(a refuge) is listed by its area only: no name, address or position.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields


class TaxonomyTermSchema(Schema):
    id = fields.String(
        required=True, metadata={"description": "Need code, e.g. accommodation.homeless"}
    )
    name = fields.String(required=True)
    vocabulary = fields.String(required=True, metadata={"example": "pathways-needs"})


class OrganizationSummarySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    verified = fields.Boolean(required=True)


class LocationSchema(Schema):
    id = fields.Integer(required=True)
    hidden = fields.Boolean(
        required=True, metadata={"description": "A hidden address: only its area is given."}
    )
    name = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    area = fields.String(allow_none=True, metadata={"description": "The area it is in."})
    distance = fields.Integer(
        allow_none=True,
        metadata={"description": "Metres from the search point (whole km for hidden ones)."},
    )


class ServiceSummarySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    organization = fields.Nested(OrganizationSummarySchema, required=True)
    taxonomy_terms = fields.List(fields.Nested(TaxonomyTermSchema), required=True)
    delivery_modes = fields.List(fields.String(), required=True)
    capacity_status = fields.String(
        required=True, metadata={"enum": ["available", "waiting_list", "full"]}
    )
    places_left = fields.Integer(allow_none=True)
    waiting_days = fields.Integer(allow_none=True)
    rating = fields.Float(allow_none=True)
    rating_count = fields.Integer(required=True)
    minimum_age = fields.Integer(allow_none=True)
    maximum_age = fields.Integer(allow_none=True)
    distance = fields.Integer(
        allow_none=True, metadata={"description": "Metres to the nearest location."}
    )
    locations = fields.List(fields.Nested(LocationSchema), required=True)
    highlights = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "HTML fragments around the words searched for, in <mark>."},
    )


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)
    selected = fields.Boolean(required=True)


class ServicePageSchema(Schema):
    total_items = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    page_number = fields.Integer(required=True)
    size = fields.Integer(required=True)
    first_page = fields.Boolean(required=True)
    last_page = fields.Boolean(required=True)
    empty = fields.Boolean(required=True)
    contents = fields.List(fields.Nested(ServiceSummarySchema), required=True)
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(FacetValueSchema)),
        required=True,
        metadata={"description": "Counts per facet value, each leaving out its own filter."},
    )
    backend = fields.String(required=True, metadata={"enum": ["postgresql", "elasticsearch"]})


class ServiceAreaSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class OrganizationSchema(OrganizationSummarySchema):
    website = fields.String(allow_none=True)
    last_verified = fields.DateTime(allow_none=True)


class ServiceSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    opening_times = fields.String(required=True)
    organization = fields.Nested(OrganizationSchema, required=True)
    taxonomy_terms = fields.List(fields.Nested(TaxonomyTermSchema), required=True)
    minimum_age = fields.Integer(allow_none=True)
    maximum_age = fields.Integer(allow_none=True)
    genders = fields.List(
        fields.String(), required=True, metadata={"description": "Empty: everyone."}
    )
    cjs_stages = fields.List(fields.String(), required=True)
    risk_levels = fields.List(fields.String(), required=True)
    offence_exclusions = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    interpreter_available = fields.Boolean(required=True)
    accessibility = fields.List(fields.String(), required=True)
    delivery_modes = fields.List(fields.String(), required=True)
    referral_routes = fields.List(fields.String(), required=True)
    capacity_status = fields.String(required=True)
    places_left = fields.Integer(allow_none=True)
    waiting_days = fields.Integer(allow_none=True)
    rating = fields.Float(allow_none=True)
    rating_count = fields.Integer(required=True)
    service_areas = fields.List(fields.Nested(ServiceAreaSchema), required=True)
    locations = fields.List(fields.Nested(LocationSchema), required=True)


def taxonomy_term(code: str, name: str) -> dict[str, Any]:
    return {"id": code, "name": name, "vocabulary": "pathways-needs"}


def location_json(location: Any) -> dict[str, Any]:
    """A location for the API from a ``search.results.LocationHit``."""
    return {
        "id": location.id,
        "hidden": location.hidden,
        "name": None if location.hidden else location.name,
        "city": None if location.hidden else location.town,
        "postal_code": None if location.hidden else location.postcode,
        "latitude": location.lat,
        "longitude": location.lon,
        "area": location.area_name,
        "distance": round(location.distance_km * 1000)
        if location.distance_km is not None
        else None,
    }
