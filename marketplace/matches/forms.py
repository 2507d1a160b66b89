"""The referral confirmation: one form for one or several services, pre-filled from the
assessment so that a single click sends it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Regexp

from marketplace.matches.queries import ServiceChoice
from marketplace.matches.services import ReferralRequest
from marketplace.people.forms import options


class ConfirmReferralForm(FlaskForm):
    contact_preference = StringField(
        "How should the service contact the person?",
        widget=GovTextInput(),
        validators=[Length(max=200, message="Contact preference must be 200 characters or fewer")],
    )
    consent = BooleanField(
        "The person has agreed to be referred, and to this information being shared",
        widget=GovCheckboxInput(),
    )
    idempotency_key = HiddenField(
        validators=[
            Regexp(r"^[0-9a-f]{32}$", message="The form expired. Check the details and send again")
        ]
    )
    # Not shown: anchors that refusals about the whole form are reported against.
    assessment = HiddenField()
    send = SubmitField("Send referral", widget=GovSubmitInput())

    choices: Sequence[ServiceChoice] = ()

    def needs_field(self, choice: ServiceChoice) -> SelectMultipleField:
        return self[f"needs_{choice.service_id}"]

    def reason_field(self, choice: ServiceChoice) -> TextAreaField:
        return self[f"reason_{choice.service_id}"]

    def waiting_list_field(self, choice: ServiceChoice) -> BooleanField:
        return self[f"waiting_list_{choice.service_id}"]

    def version_field(self, choice: ServiceChoice) -> HiddenField:
        return self[f"version_{choice.service_id}"]

    def service_errors(self, choice: ServiceChoice) -> list[str]:
        return list(self[f"service_{choice.service_id}"].errors or ())

    def prefill(self, *, contact_preference: str, consent: bool) -> None:
        """What a GET shows: everything from the assessment, ready to send."""
        self.contact_preference.data = contact_preference
        self.consent.data = consent
        self.idempotency_key.data = uuid.uuid4().hex
        for choice in self.choices:
            self.needs_field(choice).data = [code for code, _ in choice.needs]
            self.reason_field(choice).data = choice.reason
            self.version_field(choice).data = str(choice.version)

    def requests(self) -> list[ReferralRequest]:
        """One request per service; the idempotency key is the form's plus the service,
        so a resubmitted form makes no referral twice, whatever services it names."""
        requests = []
        for choice in self.choices:
            version = self.version_field(choice).data or ""
            requests.append(
                ReferralRequest(
                    service_id=choice.service_id,
                    need_codes=tuple(self.needs_field(choice).data or ()),
                    reason=self.reason_field(choice).data or "",
                    idempotency_key=f"{self.idempotency_key.data}:{choice.service_id}",
                    join_waiting_list=bool(self.waiting_list_field(choice).data),
                    service_version=int(version) if version.isdigit() else -1,
                )
            )
        return requests

    def show_problem(self, field_name: str, service_id: int | None, message: str) -> None:
        """Put a refusal beside the field it is about (or at the top of the form)."""
        names = {
            "service": f"service_{service_id}",
            "need_codes": f"needs_{service_id}",
            "reason": f"reason_{service_id}",
            "join_waiting_list": f"waiting_list_{service_id}",
            "consent": "consent",
        }
        name = names.get(field_name, "assessment")
        field = self[name] if name in self else self["assessment"]
        field.errors = [*list(field.errors or ()), message]


def confirm_form_class(choices: Sequence[ServiceChoice]) -> type[ConfirmReferralForm]:
    """The confirmation form for these services."""
    fields: dict[str, Any] = {"choices": tuple(choices)}
    for choice in choices:
        fields[f"needs_{choice.service_id}"] = SelectMultipleField(
            "Needs this referral is for",
            widget=GovCheckboxesInput(),
            choices=options(choice.needs),
            invalid_choice_message="Select only needs in the assessment that the service meets",
        )
        fields[f"reason_{choice.service_id}"] = TextAreaField(
            "Reason for the referral",
            widget=GovTextArea(),
            validators=[Length(max=4000, message="Reason must be 4,000 characters or fewer")],
        )
        fields[f"waiting_list_{choice.service_id}"] = BooleanField(
            "If no place is free, add the person to the waiting list",
            widget=GovCheckboxInput(),
        )
        fields[f"version_{choice.service_id}"] = HiddenField()
        # Not shown: the anchor for refusals about the service itself.
        fields[f"service_{choice.service_id}"] = HiddenField()
    if len(choices) > 1:
        fields["send"] = SubmitField(f"Send {len(choices)} referrals", widget=GovSubmitInput())
    return type("ConfirmReferralForm", (ConfirmReferralForm,), fields)
