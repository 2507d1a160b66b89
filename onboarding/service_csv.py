"""Bulk service upload by a provider: a CSV template and the upload that reads it.

Each row becomes a draft service of the provider's organisation (they review and publish
it as usual). Rows are checked with the same rules as the service editor; a bad row is
reported with its line number and reason and nothing of it is saved, the good rows are.
A row may name one location; it is reused if the organisation already has that address.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.directory import services as directory
from marketplace.directory.models import (
    PLACES_MAX,
    WAITING_DAYS_MAX,
    ImportKind,
    ImportRun,
    Location,
)
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.vocabulary import (
    LANGUAGES,
    Accessibility,
    CapacityStatus,
    CJSStage,
    DeliveryMode,
    Gender,
    OffenceCategory,
    ReferralRoute,
    RiskLevel,
)

COLUMNS = (
    "name",
    "summary",
    "description",
    "needs",
    "min_age",
    "max_age",
    "genders",
    "cjs_stages",
    "risk_levels",
    "offence_exclusions",
    "languages",
    "accessibility",
    "delivery_modes",
    "referral_routes",
    "capacity",
    "capacity_status",
    "waiting_days",
    "opening_times",
    "contact_email",
    "contact_phone",
    "location_name",
    "address_line_1",
    "town",
    "postcode",
    "hidden_address",
)
EXAMPLE = {
    "name": "Housing advice drop-in",
    "summary": "Help to find and keep somewhere to live",
    "description": "Weekly drop-in with a housing caseworker.",
    "needs": "accommodation.homeless; accommodation.at_risk",
    "min_age": "18",
    "max_age": "",
    "genders": "",
    "cjs_stages": "licence; community_order",
    "risk_levels": "low; medium",
    "offence_exclusions": "arson",
    "languages": "en; pl",
    "accessibility": "step_free",
    "delivery_modes": "in_person",
    "referral_routes": "professional; self",
    "capacity": "12",
    "capacity_status": "available",
    "waiting_days": "7",
    "opening_times": "Tuesdays 10am to 1pm",
    "contact_email": "housing@charity.example",
    "contact_phone": "",
    "location_name": "Town centre hub",
    "address_line_1": "1 High Street",
    "town": "London",
    "postcode": "SW1A 1AA",
    "hidden_address": "no",
}


def template_csv() -> str:
    """The template: a header row, then one example row to overwrite."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(EXAMPLE)
    return out.getvalue()


class ListOf(fields.Field):
    """``"a; b"`` -> ``["a", "b"]``, each checked against ``allowed``."""

    def __init__(self, allowed: set[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed = allowed

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        items = [
            item.strip() for item in str(value or "").replace(",", ";").split(";") if item.strip()
        ]
        unknown = [item for item in items if item not in self.allowed]
        if unknown:
            raise ValidationError(
                f"“{', '.join(unknown)}” is not one of: {', '.join(sorted(self.allowed))}"
            )
        return list(dict.fromkeys(items))


class ServiceRowSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=300))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    needs = ListOf(set(), required=True)  # allowed codes are set per load
    min_age = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=120))
    max_age = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=120))
    genders = ListOf(set(Gender), load_default=list)
    cjs_stages = ListOf(set(CJSStage), load_default=list)
    risk_levels = ListOf(set(RiskLevel), load_default=list)
    offence_exclusions = ListOf(set(OffenceCategory), load_default=list)
    languages = ListOf(set(LANGUAGES), load_default=list)
    accessibility = ListOf(set(Accessibility), load_default=list)
    delivery_modes = ListOf(set(DeliveryMode), required=True)
    referral_routes = ListOf(
        set(ReferralRoute), load_default=lambda: [ReferralRoute.PROFESSIONAL.value]
    )
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=PLACES_MAX))
    capacity_status = fields.Enum(
        CapacityStatus, by_value=True, load_default=CapacityStatus.AVAILABLE
    )
    waiting_days = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=WAITING_DAYS_MAX)
    )
    opening_times = fields.String(load_default="", validate=validate.Length(max=1000))
    contact_email = fields.Email(allow_none=True)
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    location_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    address_line_1 = fields.String(allow_none=True, validate=validate.Length(max=200))
    town = fields.String(allow_none=True, validate=validate.Length(max=100))
    postcode = fields.String(allow_none=True)
    hidden_address = fields.Boolean(
        load_default=False, truthy={"yes", "y", "true", "1"}, falsy={"no", "n", "false", "0", ""}
    )

    @validates_schema
    def ages_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            raise ValidationError("min_age must be the same as or less than max_age", "min_age")

    @validates_schema
    def location_complete(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("postcode") and not data.get("address_line_1"):
            raise ValidationError("Enter address_line_1 for the location", "address_line_1")
        if "in_person" in (data.get("delivery_modes") or []) and not data.get("postcode"):
            raise ValidationError(
                "Enter the postcode of where the service is delivered in person", "postcode"
            )


@dataclass
class CsvResult:
    created: list[int] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


class UnreadableCsv(ValueError):
    pass


def _rows(stream: IO[bytes]) -> csv.DictReader:
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        header = reader.fieldnames or []
    except UnicodeDecodeError:
        raise UnreadableCsv("The selected file must be a CSV saved as UTF-8") from None
    missing = [column for column in ("name", "needs", "delivery_modes") if column not in header]
    if missing:
        raise UnreadableCsv(
            f"The selected file is missing the columns {', '.join(missing)}. Use the template"
        )
    return reader


def import_services_csv(
    organisation: Organisation, stream: IO[bytes], filename: str, actor: User, need_codes: set[str]
) -> ImportRun:
    """Create a draft service for each good row; record every bad row with its line.

    Each row is saved inside its own savepoint, so a row that fails half-way (an unknown
    postcode for its location) leaves nothing behind. Raises UnreadableCsv when the file
    as a whole cannot be read.
    """
    schema = ServiceRowSchema()
    schema.fields["needs"].allowed = need_codes  # type: ignore[attr-defined]
    result = CsvResult()
    try:
        rows = list(enumerate(_rows(stream), start=2))  # line 1 is the header
    except (UnicodeDecodeError, csv.Error) as error:
        raise UnreadableCsv(f"The selected file could not be read as a CSV ({error})") from None
    for line, raw in rows:
        cleaned = {
            key: value.strip()
            for key, value in raw.items()
            if key in COLUMNS and isinstance(value, str) and value.strip()
        }
        try:
            row = schema.load(cleaned)
        except ValidationError as error:
            result.problems.append({"line": line, "reason": _first_message(error.messages)})
            continue
        try:
            with db.session.begin_nested():
                service = _create(organisation, row, actor)
        except (directory.ServiceError, directory.LocationError) as error:
            result.problems.append({"line": line, "reason": f"{error.field or 'row'}: {error}"})
            continue
        result.created.append(service.id)
    run = ImportRun(
        kind=ImportKind.CSV,
        filename=filename[:255],
        started_by_id=actor.id,
        organisation_id=organisation.id,
        imported={"services": len(result.created), "problems": len(result.problems)},
        problems=result.problems,
    )
    db.session.add(run)
    db.session.flush()
    record("services_uploaded", organisation, actor=actor, run=run.id, services=len(result.created))
    return run


def _first_message(messages: Any) -> str:
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            text = value[0] if isinstance(value, list) and value else str(value)
            parts.append(text if key == "_schema" else f"{key}: {text}")
        return "; ".join(parts)
    return str(messages)


def _location_for(organisation: Organisation, row: dict[str, Any], actor: User) -> Location:
    from onboarding.locating import normalise_postcode

    postcode = normalise_postcode(row["postcode"]) or row["postcode"]
    for location in organisation.locations:
        if location.postcode == postcode and location.address_line_1 == row["address_line_1"]:
            return location
    return directory.save_location(
        organisation,
        {
            "name": row.get("location_name") or row["address_line_1"],
            "address_line_1": row["address_line_1"],
            "town": row.get("town") or "",
            "postcode": row["postcode"],
            "hidden": row["hidden_address"],
        },
        actor,
    )


def _create(organisation: Organisation, row: dict[str, Any], actor: User):  # noqa: ANN202
    fields_ = {name: row.get(name) for name in directory.SCALAR_FIELDS if name in row}
    fields_["need_codes"] = row["needs"]
    if row.get("postcode"):
        fields_["location_ids"] = [_location_for(organisation, row, actor).id]
    return directory.create_service(organisation, fields_, actor)
