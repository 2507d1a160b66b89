"""People who sign in, and the roles they hold."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import Timestamped, enum_type
from marketplace.extensions import Model, db

if TYPE_CHECKING:
    from marketplace.agencies.models import Agency
    from marketplace.geography.models import Area
    from marketplace.organisations.models import Membership


class Role(enum.StrEnum):
    """What kind of user someone is. Provider admin/member is decided by their Membership."""

    PLATFORM_ADMIN = "platform_admin"
    PROVIDER = "provider"
    REFERRER = "referrer"
    COMMISSIONER = "commissioner"


class User(UserMixin, Timestamped, Model):
    __tablename__ = "user_account"
    __table_args__ = (
        Index("uq_user_account_email_lower", text("lower(email)"), unique=True),
        CheckConstraint("role <> 'referrer' OR agency_id IS NOT NULL", name="referrer_has_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    job_title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    agency: Mapped[Agency | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    commissioned_areas: Mapped[list[Area]] = relationship(secondary="commissioner_area")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive (suspended) users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


commissioner_area = db.Table(
    "commissioner_area",
    db.Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(Model):
    """A bearer token for the API (case-management systems). Only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
