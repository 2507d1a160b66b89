"""Telling the other side: who hears about a referral event and how links are built.

Every message goes through the outbox (``notify_email``/``notify_sms``) in the caller's
transaction. Messages name the referral by its reference only: personal details stay
behind sign-in (or behind the person's own tokenised link).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.services import notify_email, notify_sms
from marketplace.organisations.models import Membership, MembershipRole
from marketplace.referrals.models import Referral


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full URL for e-mails, in a request or in a background job (``PUBLIC_BASE_URL``)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def provider_recipients(referral: Referral) -> list[str]:
    """Where a provider hears about a referral: the service's contact address, else the
    organisation's, else its administrators'."""
    if referral.service.contact_email:
        return [referral.service.contact_email]
    if referral.organisation.email:
        return [referral.organisation.email]
    return list(
        db.session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == referral.organisation_id,
                Membership.role == MembershipRole.ADMIN,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _common(referral: Referral) -> dict[str, Any]:
    return {
        "reference": referral.reference,
        "service": referral.service.name,
        "organisation": referral.organisation.name,
        "link": absolute_url("referrals.detail", referral_id=referral.id),
    }


def tell_referrer(referral: Referral, template: str, **personalisation: Any) -> None:
    """E-mail the referrer who sent ``referral`` (if their account is still active)."""
    referrer = referral.referrer
    if referrer is None or not referrer.active:
        return
    notify_email(
        template,
        referrer.email,
        {**_common(referral), "name": referrer.name, **personalisation},
    )


def tell_provider(referral: Referral, template: str, **personalisation: Any) -> None:
    """E-mail the provider's contact address(es) about ``referral``."""
    for recipient in provider_recipients(referral):
        notify_email(
            template,
            recipient,
            {**_common(referral), "name": referral.organisation.name, **personalisation},
        )


def tell_person(referral: Referral, template: str, **personalisation: Any) -> bool:
    """Message the person referred by e-mail, else by text message. Returns False when
    they gave neither (their referrer then tells them)."""
    person = referral.person
    values = {
        "service": referral.service.name,
        "organisation": referral.organisation.name,
        **personalisation,
    }
    if person.email:
        notify_email(template, person.email, values)
        return True
    if person.mobile:
        notify_sms(template, person.mobile, values)
        return True
    return False


def describe_time(moment: Any) -> str:
    """A time as people in England and Wales read it: "Tuesday 3 March 2026 at 10:30am"."""
    from marketplace.referrals.sla import LONDON

    local = moment.astimezone(LONDON)
    return local.strftime("%A %-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


def describe_day(moment: Any) -> str:
    """A day as people in England and Wales read it: "3 March 2026"."""
    from marketplace.referrals.sla import LONDON

    return str(moment.astimezone(LONDON).strftime("%-d %B %Y"))
