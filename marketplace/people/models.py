"""People referred, kept minimal, and their needs assessments.

Personal data is limited to what matching needs: a case reference or initials, age, gender,
area, language and accessibility needs. No names, no addresses beyond a postcode.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import Timestamped, enum_type
from marketplace.extensions import Model
from marketplace.vocabulary import CJSStage, Gender, RiskLevel

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.agencies.models import Agency
    from marketplace.geography.models import Area


class Person(Timestamped, Model):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("age IS NULL OR (age >= 10 AND age <= 120)", name="age_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reference: Mapped[str] = mapped_column(String(40))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    age: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender, "person_gender"))
    postcode: Mapped[str | None] = mapped_column(String(8))
    point: Mapped[Any | None] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    accessibility_needs: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default="{}"
    )
    cjs_stage: Mapped[CJSStage | None] = mapped_column(enum_type(CJSStage, "person_cjs_stage"))
    risk_level: Mapped[RiskLevel | None] = mapped_column(enum_type(RiskLevel, "person_risk_level"))
    offences: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default="{}"
    )
    # False when the referrer does not know the person's offences: matching then reports
    # offence exclusions as caveats instead of treating the empty list as "no offences".
    offences_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # How the provider should make contact, e.g. "Through me, the probation practitioner".
    contact_preference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(320))  # for the person's own link
    mobile: Mapped[str | None] = mapped_column(String(20))

    agency: Mapped[Agency] = relationship()
    created_by: Mapped[User | None] = relationship()
    area: Mapped[Area | None] = relationship()
    assessments: Mapped[list[NeedsAssessment]] = relationship(
        back_populates="person", order_by="NeedsAssessment.version"
    )

    @property
    def current_age(self) -> int | None:
        """Age today from the date of birth, else the age recorded; None if unknown."""
        if self.date_of_birth is None:
            return self.age
        today = date.today()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    COMPLETE = "complete"
    SUPERSEDED = "superseded"


class NeedsAssessment(Timestamped, Model):
    """One version of a person's needs assessment. A reassessment is a new version;
    the old one is kept, marked superseded."""

    __tablename__ = "needs_assessment"
    __table_args__ = (
        UniqueConstraint("person_id", "version"),
        CheckConstraint(
            "max_travel_km IS NULL OR (max_travel_km > 0 AND max_travel_km <= 500)",
            name="max_travel_plausible",
        ),
        CheckConstraint("NOT (remote_only AND no_remote)", name="remote_only_or_no_remote"),
        # A person has at most one draft: "reassess" reopens it rather than starting another.
        Index(
            "uq_needs_assessment_one_draft",
            "person_id",
            unique=True,
            postgresql_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_type(AssessmentStatus, "assessment_status"), default=AssessmentStatus.DRAFT
    )
    assessed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    remote_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    women_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    no_evenings: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    no_remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    max_travel_km: Mapped[float | None] = mapped_column(Numeric(6, 1))
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the referrer recorded that the person agreed to be referred and to this
    # information being shared; referrals made from the assessment carry it.
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person] = relationship(back_populates="assessments")
    assessed_by: Mapped[User | None] = relationship()
    needs: Mapped[list[AssessedNeed]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )


class AssessedNeed(Model):
    __tablename__ = "assessed_need"
    __table_args__ = (CheckConstraint("severity BETWEEN 0 AND 3", name="severity_range"),)

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("needs_assessment.id", ondelete="CASCADE"), primary_key=True
    )
    need_code: Mapped[str] = mapped_column(ForeignKey("need.code"), primary_key=True)
    severity: Mapped[int] = mapped_column(SmallInteger)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")

    assessment: Mapped[NeedsAssessment] = relationship(back_populates="needs")
