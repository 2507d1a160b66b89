"""``/api/v1/referrals``: refer programmatically, with the same rules as the pages.

For case-management systems. Authenticate with ``Authorization: Bearer <token>``.
A referral is made from a complete needs assessment of one of your agency's people; the
service is checked for eligibility when sent; the ``idempotency_key`` makes retries safe.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from marketplace.accounts.models import Role
from marketplace.api.errors import BEARER_AUTH, documented_errors
from marketplace.authz import can, get_or_404, organisation_ids, requires
from marketplace.errors import json_error
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.matches.schemas import (
    ReferralCreateSchema,
    ReferralListArgs,
    ReferralProblemsSchema,
    ReferralSchema,
)
from marketplace.matches.services import (
    ASSESSMENT_TO_SEND,
    ReferralRefused,
    ReferralRequest,
    send_referrals,
)
from marketplace.people.models import NeedsAssessment
from marketplace.referrals.models import Referral
from marketplace.routing import PAGE_MAX

blueprint = Blueprint(
    "referrals_api",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Send referrals from a needs assessment and follow your agency's referrals.",
)


def _visible_referrals(user: Any) -> Any:
    """Referrals the user may list: their agency's (referrer), their organisations'
    (provider), or all (platform admin)."""
    query = select(Referral)
    if user.role == Role.REFERRER:
        return query.where(Referral.agency_id == user.agency_id)
    if user.role == Role.PROVIDER:
        return query.where(Referral.organisation_id.in_(organisation_ids(user) or {0}))
    return query


@blueprint.route("")
class Referrals(MethodView):
    @requires("referral:view")
    @blueprint.arguments(ReferralListArgs, location="query")
    @blueprint.response(200, ReferralSchema(many=True))
    @blueprint.paginate()
    @blueprint.doc(security=BEARER_AUTH)
    @documented_errors(blueprint, 401, 403, 422)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Referral]:
        """List referrals you may see, newest first

        A referrer sees their agency's referrals; a provider their organisations'.
        """
        if pagination_parameters.page > PAGE_MAX:
            abort(422, description=f"page must be {PAGE_MAX:,} or less")
        query = _visible_referrals(current_user)
        if args.get("state"):
            query = query.where(Referral.state == args["state"])
        pagination_parameters.item_count = db.session.scalar(
            select(func.count()).select_from(query.subquery())
        )
        page = query.order_by(Referral.sent_at.desc().nulls_last(), Referral.id.desc())
        return list(
            db.session.scalars(
                page.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
            )
        )

    @requires("referral:create")
    @blueprint.arguments(ReferralCreateSchema)
    @blueprint.response(201, ReferralSchema)
    @blueprint.alt_response(200, schema=ReferralSchema, description="Already sent with this key")
    @blueprint.alt_response(
        404, schema=ReferralProblemsSchema, description="No such assessment or service"
    )
    @blueprint.alt_response(
        409,
        schema=ReferralProblemsSchema,
        description="Already referred, no place free, or the assessment has been replaced",
    )
    @blueprint.alt_response(
        422, schema=ReferralProblemsSchema, description="Not eligible or bad input"
    )
    @blueprint.doc(security=BEARER_AUTH)
    @documented_errors(blueprint, 400, 401, 403)
    def post(self, payload: dict[str, Any]) -> Any:
        """Send a referral

        The service is checked against the assessment exactly as on the matches page. A
        service that counts places holds one for the referral; when none is free the
        answer is 409 with code ``no_places``: send again with ``join_waiting_list`` to
        join its waiting list. Sending the same ``idempotency_key`` again returns the
        referral already made (200) rather than making another.
        """
        assessment = db.session.get(
            NeedsAssessment, payload["assessment_id"], options=ASSESSMENT_TO_SEND
        )
        if assessment is None or not can(current_user, "referral:create", assessment):
            return json_error(404, "There is no assessment with that id", field="assessment_id")
        request = ReferralRequest(
            service_id=payload["service_id"],
            need_codes=tuple(payload["need_codes"]) if payload["need_codes"] is not None else None,
            reason=payload["reason"],
            idempotency_key=payload["idempotency_key"],
            join_waiting_list=payload["join_waiting_list"],
        )
        contact = payload["contact_preference"]
        try:
            sent = send_referrals(
                assessment,
                [request],
                referrer=current_user,
                contact_preference=assessment.person.contact_preference
                if contact is None
                else contact,
                consent=payload["consent"],
            )
        except ReferralRefused as refused:
            return _refusal(refused)
        referral = sent.referrals[0]
        # Serialised before the commit, which would expire it and cost three reloads.
        body = ReferralSchema().dump(referral)
        commit()
        response = jsonify(body)
        if sent.replayed:
            return response
        response.status_code = 201
        response.headers["Location"] = url_for("referrals_api.ReferralById", referral_id=body["id"])
        return response


_API_FIELDS = {
    "service": "service_id",
    "need_codes": "need_codes",
    "join_waiting_list": "join_waiting_list",
}


def _refusal(refused: ReferralRefused) -> Response:
    errors = []
    for problem in refused.problems:
        error: dict[str, Any] = {
            "field": _API_FIELDS.get(problem.field, problem.field),
            "message": str(problem),
            "code": problem.code,
        }
        if problem.existing is not None:
            error["referral_id"] = problem.existing.id
            error["reference"] = problem.existing.reference
        errors.append(error)
    return json_error(refused.status, errors[0]["message"], errors=errors)


@blueprint.route("/<int:referral_id>")
class ReferralById(MethodView):
    @requires("referral:view")
    @blueprint.response(200, ReferralSchema)
    @blueprint.doc(security=BEARER_AUTH)
    @documented_errors(blueprint, 401, 403, 404, descriptions={404: "No such referral you may see"})
    def get(self, referral_id: int) -> Referral:
        """Get one referral you may see"""
        return get_or_404(Referral, referral_id, "referral:view")
