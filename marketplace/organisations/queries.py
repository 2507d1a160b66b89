"""Organisation reads: the set-up task list, the verification queue and the team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.database import utcnow
from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.geography.models import Area, AreaKind
from marketplace.organisations.models import (
    Invitation,
    Membership,
    Organisation,
    VerificationStatus,
)


@dataclass(frozen=True)
class SetupProgress:
    """How far an organisation has got with setting up, for its task list."""

    services: int
    published_services: int
    locations: int
    members: int
    open_invitations: int

    @property
    def ready_to_submit(self) -> bool:
        return self.services > 0


def setup_progress(organisation: Organisation) -> SetupProgress:
    def count(query: Any) -> int:
        return db.session.scalar(query) or 0

    return SetupProgress(
        services=count(select(func.count()).where(Service.organisation_id == organisation.id)),
        published_services=count(
            select(func.count()).where(
                Service.organisation_id == organisation.id,
                Service.status == ServiceStatus.PUBLISHED,
            )
        ),
        locations=count(select(func.count()).where(Location.organisation_id == organisation.id)),
        members=count(select(func.count()).where(Membership.organisation_id == organisation.id)),
        open_invitations=count(
            select(func.count()).where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        ),
    )


def organisations_with_status(status: VerificationStatus) -> list[Organisation]:
    """Organisations in one verification state; the pending queue lists those sent for
    verification first (oldest first), then those still setting up."""
    query = (
        select(Organisation)
        .where(Organisation.status == status)
        .options(selectinload(Organisation.services), selectinload(Organisation.locations))
    )
    if status == VerificationStatus.PENDING:
        query = query.order_by(
            Organisation.submitted_at.is_(None), Organisation.submitted_at, Organisation.name
        )
    else:
        query = query.order_by(Organisation.name)
    return list(db.session.scalars(query))


def organisations_with_changes_to_review() -> list[Organisation]:
    """Verified or suspended organisations that changed checked details, oldest first."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.changed_since_verified_at.is_not(None))
            .options(selectinload(Organisation.services), selectinload(Organisation.locations))
            .order_by(Organisation.changed_since_verified_at, Organisation.name)
        )
    )


def changed_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).where(Organisation.changed_since_verified_at.is_not(None))
        )
        or 0
    )


def status_counts() -> dict[VerificationStatus, int]:
    rows = db.session.execute(
        select(Organisation.status, func.count()).group_by(Organisation.status)
    ).all()
    counts = dict.fromkeys(VerificationStatus, 0)
    counts.update(dict(rows))
    return counts


def open_invitations(organisation: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at)
        )
    )


def members(organisation: Organisation) -> list[Membership]:
    return sorted(organisation.memberships, key=lambda m: (m.user.name.lower(), m.id))


def area_choices() -> list[tuple[str, list[Area]]]:
    """Areas a service or organisation can cover, grouped for the form: police force
    areas and local authorities (LSOAs are too fine to pick from)."""
    groups = []
    for kind, heading in (
        (AreaKind.POLICE_FORCE_AREA, "Police force areas"),
        (AreaKind.LOCAL_AUTHORITY, "Local authorities"),
        (AreaKind.REGION, "Regions"),
    ):
        areas = list(db.session.scalars(select(Area).where(Area.kind == kind).order_by(Area.name)))
        if areas:
            groups.append((heading, areas))
    return groups
