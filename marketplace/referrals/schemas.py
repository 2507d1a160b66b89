"""Marshmallow schemas for the referral lifecycle API."""

from __future__ import annotations

import enum

from marshmallow import Schema, fields, validate

from marketplace.referrals.lifecycle import CancelReason, DeclineReason, WithdrawReason
from marketplace.referrals.models import AppointmentMode, Outcome
from marketplace.referrals.ratings import RATING_MAX, RATING_MIN
from marketplace.referrals.services import ATTENDANCE_CHOICES, AbsenceReason


def _one_of(values: type[enum.StrEnum]) -> validate.OneOf:
    return validate.OneOf([v.value for v in values])


class ReferralStateSchema(Schema):
    """Where a referral stands after an action."""

    id = fields.Int(dump_only=True)
    reference = fields.Str(dump_only=True)
    state = fields.Str(dump_only=True)
    lock_version = fields.Int(dump_only=True)
    state_reason_code = fields.Str(dump_only=True, allow_none=True)
    state_reason = fields.Str(dump_only=True, allow_none=True)
    outcome = fields.Str(dump_only=True, allow_none=True)
    holds_place = fields.Bool(dump_only=True)
    responded_at = fields.DateTime(dump_only=True, allow_none=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)


class DeclineSchema(Schema):
    reason_code = fields.Str(required=True, validate=_one_of(DeclineReason))
    reason = fields.Str(load_default="", validate=validate.Length(max=2000))


class WithdrawSchema(Schema):
    reason_code = fields.Str(required=True, validate=_one_of(WithdrawReason))
    reason = fields.Str(load_default="", validate=validate.Length(max=2000))


class CancelSchema(Schema):
    reason_code = fields.Str(required=True, validate=_one_of(CancelReason))
    reason = fields.Str(load_default="", validate=validate.Length(max=2000))


class CompleteSchema(Schema):
    outcome = fields.Str(required=True, validate=_one_of(Outcome))
    notes = fields.Str(load_default="", validate=validate.Length(max=4000))


class AppointmentSchema(Schema):
    id = fields.Int(dump_only=True)
    referral_id = fields.Int(dump_only=True)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Int(load_default=60, validate=validate.Range(min=5, max=480))
    mode = fields.Str(required=True, validate=_one_of(AppointmentMode))
    location_id = fields.Int(load_default=None, allow_none=True)
    remote_details = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )
    status = fields.Str(dump_only=True)
    absence_reason = fields.Str(dump_only=True, allow_none=True)
    absence_explained = fields.Bool(dump_only=True)
    engagement_notes = fields.Str(dump_only=True, allow_none=True)
    person_confirmed_at = fields.DateTime(dump_only=True, allow_none=True)
    person_checked_in_at = fields.DateTime(dump_only=True, allow_none=True)
    replaces_id = fields.Int(dump_only=True, allow_none=True)


class RescheduleSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Int(load_default=None, validate=validate.Range(min=5, max=480))
    mode = fields.Str(load_default=None, validate=_one_of(AppointmentMode))
    location_id = fields.Int(load_default=None, allow_none=True)
    remote_details = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )


class CancelAppointmentSchema(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=1000))


class AttendanceSchema(Schema):
    status = fields.Str(
        required=True, validate=validate.OneOf([s.value for s in ATTENDANCE_CHOICES])
    )
    absence_reason = fields.Str(load_default=None, allow_none=True, validate=_one_of(AbsenceReason))
    notes = fields.Str(load_default="", validate=validate.Length(max=4000))


class AttendanceCorrectionSchema(Schema):
    status = fields.Str(
        required=True, validate=validate.OneOf([s.value for s in ATTENDANCE_CHOICES])
    )
    absence_reason = fields.Str(
        load_default=None,
        allow_none=True,
        validate=_one_of(AbsenceReason),
        metadata={"description": "Required when status is did_not_attend."},
    )
    reason = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Why the attendance is being corrected (the referrer sees it)."},
    )


class FeedbackSchema(Schema):
    id = fields.Int(dump_only=True)
    rating = fields.Int(
        required=True,
        strict=True,
        validate=validate.Range(
            min=RATING_MIN, max=RATING_MAX, error="Rating must be a whole number from 1 to 5"
        ),
    )
    comments = fields.Str(load_default="", validate=validate.Length(max=2000))
    shared = fields.Bool(
        load_default=False,
        metadata={
            "description": "Show the comment on the service's page to signed-in referrers "
            "and providers, without who wrote it (referrers only; needs a comment). Do not "
            "include names or details that could identify anyone."
        },
    )
    author_kind = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MessageSchema(Schema):
    id = fields.Int(dump_only=True)
    body = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    author_id = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
