"""Referrals and what happens after: appointments, attendance, messages, feedback, alerts.

State changes live in ``marketplace.referrals.lifecycle`` (one place, methods that check
the actor); this module only declares what is stored.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import Timestamped, enum_type
from marketplace.extensions import Model

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.agencies.models import Agency
    from marketplace.directory.models import Location, Service
    from marketplace.organisations.models import Organisation
    from marketplace.people.models import NeedsAssessment, Person


class ReferralState(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


OPEN_STATES = (
    ReferralState.DRAFT,
    ReferralState.SENT,
    ReferralState.ACCEPTED,
    ReferralState.IN_PROGRESS,
)
_OPEN_SQL = ", ".join(f"'{state.value}'" for state in OPEN_STATES)


class Outcome(enum.StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class Referral(Timestamped, Model):
    __tablename__ = "referral"
    __table_args__ = (
        # One open referral of a person to a service at a time.
        Index(
            "uq_referral_open_person_service",
            "person_id",
            "service_id",
            unique=True,
            postgresql_where=text(f"state IN ({_OPEN_SQL})"),
        ),
        UniqueConstraint("referrer_id", "idempotency_key"),
        # The inbox, for a provider and for a referrer's agency. By state: the tab counts
        # (an index-only scan) and one-state tabs in date order, the id breaking ties, so
        # a page is a range of the index with no sort. By date, carrying the state: tabs of
        # several states ("closed", "all"), whose pages (deep ones too) are read without
        # visiting the table.
        Index("ix_referral_inbox_by_state", "organisation_id", "state", "sent_at", "id"),
        Index(
            "ix_referral_inbox_by_date",
            "organisation_id",
            "sent_at",
            "id",
            postgresql_include=["state"],
        ),
        Index("ix_referral_agency_by_state", "agency_id", "state", "sent_at", "id"),
        Index(
            "ix_referral_agency_by_date", "agency_id", "sent_at", "id", postgresql_include=["state"]
        ),
        # Search by the start of a reference (LIKE 'PW-3F%') whatever the collation.
        Index(
            "ix_referral_reference_prefix",
            "reference",
            postgresql_ops={"reference": "varchar_pattern_ops"},
        ),
        # The inbox filtered by one service.
        Index("ix_referral_service_state", "service_id", "state", "sent_at"),
        # The reminder sweep: referrals still waiting for a response, oldest first.
        Index(
            "ix_referral_awaiting_response",
            "sent_at",
            postgresql_where=text("state = 'sent'"),
        ),
        CheckConstraint(
            "state = 'draft' OR consent_recorded_at IS NOT NULL", name="consent_before_sending"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("needs_assessment.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    state: Mapped[ReferralState] = mapped_column(
        enum_type(ReferralState, "referral_state"), default=ReferralState.DRAFT
    )
    need_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_preference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    holds_place: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    on_waiting_list: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    state_reason_code: Mapped[str | None] = mapped_column(String(40))
    state_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome, "referral_outcome"))
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    person: Mapped[Person] = relationship()
    assessment: Mapped[NeedsAssessment | None] = relationship()
    service: Mapped[Service] = relationship()
    organisation: Mapped[Organisation] = relationship()
    location: Mapped[Location | None] = relationship()
    referrer: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship()
    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="referral", order_by="Appointment.starts_at"
    )
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id"
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ReferralEvent(Model):
    """The referral's timeline, shown to both sides: every transition, booking and message."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_kind: Mapped[str] = mapped_column(String(16))  # referrer, provider, person, system
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class AppointmentMode(enum.StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"
    PHONE = "phone"


class AppointmentStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    ATTENDED = "attended"
    LATE = "late"
    DID_NOT_ATTEND = "did_not_attend"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


class Appointment(Timestamped, Model):
    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_starts_at", "starts_at"),
        CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 480", name="duration_plausible"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    mode: Mapped[AppointmentMode] = mapped_column(enum_type(AppointmentMode, "appointment_mode"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_type(AppointmentStatus, "appointment_status"), default=AppointmentStatus.SCHEDULED
    )
    absence_reason: Mapped[str | None] = mapped_column(String(40))
    absence_explained: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    engagement_notes: Mapped[str | None] = mapped_column(Text)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    person_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    person_checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rearrange_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rearrange_note: Mapped[str | None] = mapped_column(Text)
    # How to join a remote appointment ("We will phone you", a video link).
    remote_details: Mapped[str | None] = mapped_column(String(300))
    # A rescheduled appointment is kept (status rescheduled) and replaced by a new one.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))

    referral: Mapped[Referral] = relationship(back_populates="appointments")
    location: Mapped[Location | None] = relationship()

    @property
    def is_scheduled(self) -> bool:
        return self.status == AppointmentStatus.SCHEDULED

    @property
    def attendance_recorded(self) -> bool:
        return self.status in ATTENDANCE_STATUSES


ATTENDANCE_STATUSES = (
    AppointmentStatus.ATTENDED,
    AppointmentStatus.LATE,
    AppointmentStatus.DID_NOT_ATTEND,
)


class FeedbackAuthor(enum.StrEnum):
    REFERRER = "referrer"
    PROVIDER = "provider"
    PERSON = "person"


class Feedback(Model):
    """One side's rating of a referral (the three sides make the 360° view).

    A referrer or the person referred may share their comment on the service's page
    (``shared``), where signed-in referrers and providers read it without who wrote it.
    A platform admin may hide a shared comment (``hidden_*``): the row stays, it and the
    provider's reply leave the service's page.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        UniqueConstraint(
            "referral_id", "author_kind", "appointment_id", postgresql_nulls_not_distinct=True
        ),
        # The provider's rating rates the referral, not its own service: never shared. A
        # shared rating without a comment would have nothing to show.
        CheckConstraint(
            "NOT shared OR (author_kind IN ('referrer', 'person') AND comments <> '')",
            name="shared_by_raters_with_comments",
        ),
        CheckConstraint(
            "hidden_at IS NULL OR (shared AND hidden_reason IS NOT NULL)",
            name="hidden_when_shared_with_reason",
        ),
        # The service page's "What people said": newest first, shown comments only.
        Index(
            "ix_feedback_shown_by_service",
            "service_id",
            "created_at",
            "id",
            postgresql_where=text("shared AND hidden_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    author_kind: Mapped[FeedbackAuthor] = mapped_column(
        enum_type(FeedbackAuthor, "feedback_author")
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comments: Mapped[str] = mapped_column(Text, default="", server_default="")
    provider_reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    referral: Mapped[Referral] = relationship()
    service: Mapped[Service] = relationship()
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])

    @property
    def shown_on_service_page(self) -> bool:
        return self.shared and self.hidden_at is None


class Message(Model):
    """The message thread between referrer and provider on one referral."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    author: Mapped[User] = relationship()


class PersonLink(Model):
    """A tokenised link for the person referred: no account, one referral, expiring.
    Only a SHA-256 hash of the token is stored."""

    __tablename__ = "person_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    referral: Mapped[Referral] = relationship()


class ComplianceDecision(enum.StrEnum):
    WARNING = "warning"
    REARRANGED = "rearranged"
    BREACH_REPORTED = "breach_reported"


class ComplianceAlert(Model):
    """Raised after repeated unexplained non-attendance; the referrer records a decision.

    An alert is open while it has neither a decision nor ``withdrawn_at``. It is withdrawn
    when a corrected attendance brings the unexplained absences below the threshold before
    the referrer decided; a decided alert is never withdrawn.
    """

    __tablename__ = "compliance_alert"
    __table_args__ = (
        CheckConstraint(
            "withdrawn_at IS NULL OR (decision IS NULL AND withdrawn_reason IS NOT NULL)",
            name="withdrawn_undecided_with_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    missed_count: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decision: Mapped[ComplianceDecision | None] = mapped_column(
        enum_type(ComplianceDecision, "compliance_decision")
    )
    decision_notes: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship()

    @property
    def is_open(self) -> bool:
        """Waiting for the referrer's decision (not decided, not withdrawn)."""
        return self.decision is None and self.withdrawn_at is None


class ReminderSent(Model):
    """One row per reminder or nudge sent, so that a reminder job run twice (or by both
    the scheduler and the sweep) sends once: the row is inserted ``ON CONFLICT DO NOTHING``
    and only the inserter sends."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint(
            "kind", "referral_id", "appointment_id", postgresql_nulls_not_distinct=True
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE")
    )
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
