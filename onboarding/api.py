"""``PUT /api/v1/organisations/<id>/capacity``: the quick capacity update for systems.

Bearer-token authentication; the caller must be a member of the organisation (another
organisation's id answers 404). All rows are saved or none; a row whose ``version`` is
out of date makes the whole update 409 so nothing is silently overwritten.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.api.errors import BEARER_AUTH, documented_errors
from marketplace.authz import get_or_404, requires
from marketplace.directory import services
from marketplace.directory.models import PLACES_MAX, WAITING_DAYS_MAX
from marketplace.errors import json_error
from marketplace.jobs import commit
from marketplace.organisations.models import Organisation
from marketplace.vocabulary import CapacityStatus

blueprint = Blueprint(
    "capacity_api",
    __name__,
    url_prefix="/api/v1/organisations",
    description="Keep services' places and waiting times current.",
)


class CapacityItemSchema(Schema):
    service_id = fields.Integer(required=True, metadata={"description": "The service's id."})
    capacity = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=0, max=PLACES_MAX),
        metadata={"description": "Total places; null means no set limit. Omit to keep."},
    )
    places_available = fields.Integer(
        validate=validate.Range(min=0, max=PLACES_MAX),
        metadata={"description": "Places free now (instead of capacity)."},
    )
    capacity_status = fields.Enum(
        CapacityStatus,
        by_value=True,
        metadata={"description": "available, waiting_list or full (HL7 closed-loop terms)."},
    )
    waiting_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=0, max=WAITING_DAYS_MAX),
        metadata={"description": "Current wait from referral to first appointment, in days."},
    )
    version = fields.Integer(
        metadata={"description": "The service version you last saw; a stale one gives 409."}
    )

    @validates_schema
    def one_way_of_counting(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "capacity" in data and "places_available" in data:
            raise ValidationError("Give capacity or places_available, not both", "places_available")
        if not {"capacity", "places_available", "capacity_status", "waiting_days"} & set(data):
            raise ValidationError(
                "Give at least one of capacity, places_available, capacity_status or waiting_days"
            )


class CapacityUpdateSchema(Schema):
    services = fields.List(
        fields.Nested(CapacityItemSchema), required=True, validate=validate.Length(min=1, max=500)
    )


class CapacityResultSchema(Schema):
    service_id = fields.Integer()
    capacity = fields.Integer(allow_none=True)
    places_available = fields.Integer(allow_none=True)
    capacity_status = fields.Enum(CapacityStatus, by_value=True)
    waiting_days = fields.Integer(allow_none=True)
    version = fields.Integer()


class CapacityResultListSchema(Schema):
    services = fields.List(fields.Nested(CapacityResultSchema))


def _update(item: dict[str, Any]) -> services.CapacityUpdate:
    """A field left out of the item keeps its value; only what was sent changes."""
    return services.CapacityUpdate(
        service_id=item["service_id"],
        capacity=item.get("capacity"),
        places_available=item.get("places_available"),
        capacity_status=item.get("capacity_status"),
        waiting_days=item.get("waiting_days"),
        expected_version=item.get("version"),
        sent=frozenset(item) & frozenset(services.CAPACITY_FIELDS),
    )


@blueprint.route("/<int:organisation_id>/capacity", methods=["PUT"])
@blueprint.arguments(CapacityUpdateSchema)
@blueprint.response(200, CapacityResultListSchema)
@documented_errors(
    blueprint,
    400,
    401,
    403,
    404,
    409,
    422,
    descriptions={
        404: "No such organisation, or not yours.",
        409: "A service changed since the version you sent.",
        422: "A value was refused; nothing was saved.",
    },
)
@blueprint.doc(security=BEARER_AUTH)
@requires("capacity:update")
def put_capacity(payload: dict[str, Any], organisation_id: int) -> Any:
    """Update capacity, status and waiting time for several services at once."""
    organisation = get_or_404(Organisation, organisation_id, "capacity:update")
    updates = [_update(item) for item in payload["services"]]
    try:
        saved = services.update_capacity(organisation, updates, current_user)
    except services.CapacityRefused as refused:
        positions = {update.service_id: index for index, update in enumerate(updates)}
        errors = [
            {
                "field": f"services.{positions.get(service_id, 0)}.{field or 'version'}",
                "message": message,
            }
            for service_id, field, message in refused.errors
        ]
        not_found = all(field == "service_id" for _, field, _ in refused.errors)
        status = 409 if refused.stale else (404 if not_found else 422)
        return json_error(status, errors[0]["message"], errors=errors)
    commit()
    return {
        "services": [
            {
                "service_id": service.id,
                "capacity": service.capacity,
                "places_available": service.places_left,
                "capacity_status": service.capacity_status,
                "waiting_days": service.waiting_days,
                "version": service.version,
            }
            for service in saved
        ]
    }
