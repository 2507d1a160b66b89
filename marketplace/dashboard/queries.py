"""What each role's dashboard shows: small aggregate reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.authz import organisation_ids
from marketplace.directory.models import Location, Service, ServiceStatus, service_area
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from marketplace.organisations import queries as organisation_queries
from marketplace.organisations.models import Organisation, VerificationStatus
from marketplace.referrals.models import OPEN_STATES, Feedback, Referral, ReferralState


def platform_summary() -> dict[str, Any]:
    by_status = dict(
        db.session.execute(
            select(Organisation.status, func.count()).group_by(Organisation.status)
        ).all()
    )
    return {
        "pending": by_status.get(VerificationStatus.PENDING, 0),
        "verified": by_status.get(VerificationStatus.VERIFIED, 0),
        "changed": organisation_queries.changed_count(),
        "suspended": by_status.get(VerificationStatus.SUSPENDED, 0),
        "published_services": db.session.scalar(
            select(func.count())
            .select_from(Service)
            .where(Service.status == ServiceStatus.PUBLISHED)
        ),
        "shown_comments": db.session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.shared, Feedback.hidden_at.is_(None))
        ),
        "undelivered_messages": db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.DEAD]))
        ),
    }


def provider_summary(user: User) -> list[dict[str, Any]]:
    """One entry per organisation the user belongs to, with its services and inbox counts."""
    summaries = []
    for organisation_id in sorted(organisation_ids(user)):
        organisation = db.session.get(Organisation, organisation_id)
        services = db.session.scalars(
            select(Service).where(Service.organisation_id == organisation_id).order_by(Service.name)
        ).all()
        new_referrals = db.session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(
                Referral.organisation_id == organisation_id,
                Referral.state == ReferralState.SENT,
            )
        )
        location_count = db.session.scalar(
            select(func.count())
            .select_from(Location)
            .where(Location.organisation_id == organisation_id)
        )
        summaries.append(
            {
                "organisation": organisation,
                "services": services,
                "location_count": location_count,
                "new_referrals": new_referrals,
            }
        )
    return summaries


def referrer_summary(user: User) -> dict[str, Any]:
    open_referrals = db.session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(Referral.referrer_id == user.id, Referral.state.in_(OPEN_STATES))
    )
    return {"open_referrals": open_referrals}


def commissioner_summary(user: User) -> list[dict[str, Any]]:
    """Published services delivering to each of the commissioner's areas (aggregates only)."""
    rows = []
    for area in user.commissioned_areas:
        count = db.session.scalar(
            select(func.count(func.distinct(service_area.c.service_id)))
            .select_from(service_area.join(Service, Service.id == service_area.c.service_id))
            .where(service_area.c.area_id == area.id, Service.status == ServiceStatus.PUBLISHED)
        )
        rows.append({"area": area, "published_services": count})
    return rows
