"""The directory: services, where they are delivered, and every version of them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import Timestamped, enum_type
from marketplace.extensions import Model, db
from marketplace.vocabulary import CapacityStatus
from matching.types import ServiceStatus

# Upper bounds on what providers type: beyond them is a slip of the keyboard (and, soon
# after, beyond PostgreSQL's integer), not a service.
PLACES_MAX = 100_000
WAITING_DAYS_MAX = 3_650

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.geography.models import Area
    from marketplace.organisations.models import Organisation
    from marketplace.taxonomy.models import Need


def _text_array() -> Any:
    return mapped_column(ARRAY(String(32)), default=list, server_default="{}", nullable=False)


service_need = db.Table(
    "service_need",
    db.Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    db.Column("need_code", ForeignKey("need.code"), primary_key=True, index=True),
)

service_area = db.Table(
    "service_area",
    db.Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", ForeignKey("area.id"), primary_key=True, index=True),
)

service_location = db.Table(
    "service_location",
    db.Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    db.Column(
        "location_id", ForeignKey("location.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Service(Timestamped, Model):
    """A service an organisation offers, with who it is for and how much room it has.

    ``capacity`` is the number of places (None: no set limit); ``places_taken`` counts
    places held by open referrals and is only changed by a conditional UPDATE so that
    concurrent referrals can never overbook. ``version`` increases on every edit and
    guards forms against stale writes.
    """

    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age_not_negative"),
        CheckConstraint("max_age IS NULL OR max_age <= 120", name="max_age_plausible"),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range_ordered"
        ),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("places_taken >= 0", name="places_taken_not_negative"),
        CheckConstraint(
            "capacity IS NULL OR places_taken <= capacity", name="places_taken_within_capacity"
        ),
        CheckConstraint(
            "waiting_days IS NULL OR waiting_days >= 0", name="waiting_days_not_negative"
        ),
        CheckConstraint("rating_count >= 0", name="rating_count_not_negative"),
        Index("uq_service_oruk_id", "oruk_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ServiceStatus] = mapped_column(
        enum_type(ServiceStatus, "service_status"),
        default=ServiceStatus.DRAFT,
        server_default=ServiceStatus.DRAFT.value,
        index=True,
    )
    # Eligibility. Empty arrays mean "no restriction".
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    genders: Mapped[list[str]] = _text_array()
    cjs_stages: Mapped[list[str]] = _text_array()
    risk_levels: Mapped[list[str]] = _text_array()
    offence_exclusions: Mapped[list[str]] = _text_array()
    # How it is delivered.
    languages: Mapped[list[str]] = _text_array()
    interpreter_available: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    accessibility: Mapped[list[str]] = _text_array()
    delivery_modes: Mapped[list[str]] = _text_array()
    referral_routes: Mapped[list[str]] = _text_array()
    opening_times: Mapped[str] = mapped_column(Text, default="", server_default="")
    evenings_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Capacity.
    capacity: Mapped[int | None] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_status: Mapped[CapacityStatus] = mapped_column(
        enum_type(CapacityStatus, "capacity_status"),
        default=CapacityStatus.AVAILABLE,
        server_default=CapacityStatus.AVAILABLE.value,
    )
    waiting_days: Mapped[int | None] = mapped_column(Integer)
    capacity_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Outcomes, kept current by the referral lifecycle for ranking and the coverage map.
    rating_sum: Mapped[float] = mapped_column(Numeric(12, 2), default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    referrals_received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    referrals_accepted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    appointments_booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    appointments_attended: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    oruk_id: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(back_populates="services")
    needs: Mapped[list[Need]] = relationship(secondary=service_need, order_by="Need.position")
    areas: Mapped[list[Area]] = relationship(secondary=service_area)
    locations: Mapped[list[Location]] = relationship(
        secondary=service_location, back_populates="services"
    )

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.places_taken, 0)

    @property
    def rating(self) -> float | None:
        return float(self.rating_sum) / self.rating_count if self.rating_count else None

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.name!r} {self.status}>"


class Location(Timestamped, Model):
    """A delivery address. A hidden location (a refuge) is used for distance only:
    its address is never shown, only its area."""

    __tablename__ = "location"
    __table_args__ = (Index("uq_location_oruk_id", "oruk_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    address_line_1: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address_line_2: Mapped[str] = mapped_column(String(200), default="", server_default="")
    town: Mapped[str] = mapped_column(String(100), default="", server_default="")
    postcode: Mapped[str] = mapped_column(String(8))
    point: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=True))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    oruk_id: Mapped[str | None] = mapped_column(String(100))

    organisation: Mapped[Organisation] = relationship(back_populates="locations")
    services: Mapped[list[Service]] = relationship(
        secondary=service_location, back_populates="locations"
    )
    area: Mapped[Area | None] = relationship()


class ServiceVersion(Model):
    """An immutable snapshot of a service after each change: who changed what, and when."""

    __tablename__ = "service_version"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    summary: Mapped[str] = mapped_column(String(300), default="", server_default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")

    changed_by: Mapped[User | None] = relationship()


class ImportKind(enum.StrEnum):
    ORUK = "oruk"
    CSV = "csv"


class ImportRun(Model):
    """One bulk import (an Open Referral UK file or a provider's CSV) and its report:
    how many rows of each kind were imported and every row that was not, with why."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_type(ImportKind, "import_kind"))
    filename: Mapped[str] = mapped_column(String(255))
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Set for a provider's CSV upload: the organisation the services were added to.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    imported: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    unmapped_terms: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )

    started_by: Mapped[User | None] = relationship()
