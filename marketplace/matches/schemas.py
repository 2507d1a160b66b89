"""Marshmallow schemas for the referrals API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.errors import ApiErrorSchema, ApiErrorsSchema
from marketplace.referrals.models import ReferralState


class ReferralCreateSchema(Schema):
    """What a case-management system sends to refer someone to a service."""

    assessment_id = fields.Integer(
        required=True,
        metadata={"description": "A complete needs assessment of one of your agency's people"},
        error_messages={"required": "Enter the assessment id", "invalid": "Enter a whole number"},
    )
    service_id = fields.Integer(
        required=True,
        metadata={"description": "The service to refer to"},
        error_messages={"required": "Enter the service id", "invalid": "Enter a whole number"},
    )
    need_codes = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=None,
        validate=validate.Length(max=30),
        metadata={
            "description": "Needs from the assessment the referral is for; "
            "default: every assessed need the service meets"
        },
    )
    reason = fields.String(
        load_default=None,
        validate=validate.Length(max=4000, error="Reason must be 4,000 characters or fewer"),
        metadata={"description": "Default: the assessment's summary and notes"},
    )
    contact_preference = fields.String(
        load_default=None,
        validate=validate.Length(
            max=200, error="Contact preference must be 200 characters or fewer"
        ),
        metadata={"description": "Default: the person's recorded preference"},
    )
    consent = fields.Boolean(
        required=True,
        metadata={"description": "True: the person has agreed to be referred"},
        error_messages={"required": "Say whether the person has agreed to be referred"},
    )
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.:-]{8,64}$",
            error="Idempotency key must be 8 to 64 letters, digits or _ . : -",
        ),
        metadata={
            "description": "Your unique key for this referral; sending it again returns the "
            "same referral instead of making another"
        },
        error_messages={"required": "Enter an idempotency key"},
    )
    join_waiting_list = fields.Boolean(
        load_default=False,
        metadata={"description": "If the service has no place free, join its waiting list"},
    )


class NamedSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ReferralSchema(Schema):
    """A referral as its referrer's agency and the provider see it."""

    id = fields.Integer()
    reference = fields.String(metadata={"description": "Human reference, e.g. PW-7K3M9Q"})
    state = fields.String()
    person_id = fields.Integer()
    assessment_id = fields.Integer(allow_none=True)
    service = fields.Nested(NamedSchema)
    organisation = fields.Nested(NamedSchema)
    need_codes = fields.List(fields.String())
    reason = fields.String()
    contact_preference = fields.String()
    holds_place = fields.Boolean()
    on_waiting_list = fields.Boolean()
    consent_recorded_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class ReferralProblemSchema(ApiErrorSchema):
    """An error of the API's shape that may also say why a referral was refused."""

    code = fields.String(metadata={"description": "e.g. not_eligible, already_referred, no_places"})
    referral_id = fields.Integer(metadata={"description": "The existing open referral, if any"})
    reference = fields.String()


class ReferralProblemsSchema(ApiErrorsSchema):
    errors = fields.List(
        fields.Nested(ReferralProblemSchema), required=True, validate=validate.Length(min=1)
    )


class ReferralListArgs(Schema):
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(
            [state.value for state in ReferralState],
            error="Choose a state: " + ", ".join(state.value for state in ReferralState),
        ),
        metadata={"description": "Only referrals in this state"},
    )
