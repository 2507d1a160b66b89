"""Voluntary organisations, their members and invitations to join them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import Timestamped, enum_type
from marketplace.extensions import Model, db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.directory.models import Location, Service
    from marketplace.geography.models import Area


class VerificationStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


# Labels for the organisation details that verification checks (see
# organisations.services.CHECKED_FIELDS), as admins and providers read them.
CHECKED_FIELD_LABELS = {
    "name": "Name",
    "charity_number": "Charity number",
    "company_number": "Company number",
    "website": "Website",
    "safeguarding_lead_name": "Safeguarding lead",
    "safeguarding_lead_email": "Safeguarding lead's email address",
}


class MembershipRole(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


organisation_area = db.Table(
    "organisation_area",
    db.Column(
        "organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
    db.Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Timestamped, Model):
    __tablename__ = "organisation"
    __table_args__ = (
        Index(
            "uq_organisation_charity_number",
            "charity_number",
            unique=True,
            postgresql_where="charity_number IS NOT NULL",
        ),
        Index(
            "uq_organisation_company_number",
            "company_number",
            unique=True,
            postgresql_where="company_number IS NOT NULL",
        ),
        Index("uq_organisation_oruk_id", "oruk_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    charity_number: Mapped[str | None] = mapped_column(String(12))
    company_number: Mapped[str | None] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    safeguarding_lead_name: Mapped[str | None] = mapped_column(String(200))
    safeguarding_lead_email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[VerificationStatus] = mapped_column(
        enum_type(VerificationStatus, "verification_status"),
        default=VerificationStatus.PENDING,
        server_default=VerificationStatus.PENDING.value,
        index=True,
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Checked details (name, registered numbers, safeguarding lead, website) changed by
    # the organisation after it was verified, as {field: [verified value, new value]},
    # waiting for a platform admin to confirm them. The organisation stays verified
    # meanwhile: a charity fixing a typo must not drop out of search mid-referral.
    changes_to_review: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    changed_since_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The Open Referral UK identifier it was imported with, so a re-import finds it again.
    oruk_id: Mapped[str | None] = mapped_column(String(100))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    services: Mapped[list[Service]] = relationship(back_populates="organisation")
    locations: Mapped[list[Location]] = relationship(back_populates="organisation")
    areas: Mapped[list[Area]] = relationship(secondary=organisation_area)

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED

    @property
    def has_changes_to_review(self) -> bool:
        return bool(self.changes_to_review)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r} {self.status}>"


class Membership(Timestamped, Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(enum_type(MembershipRole, "membership_role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Invitation(Timestamped, Model):
    """An e-mailed invitation to join an organisation; the token is stored only as a hash."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[MembershipRole] = mapped_column(enum_type(MembershipRole, "invitation_role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()
