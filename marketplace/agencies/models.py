"""Referring agencies: probation regions, police forces, youth offending teams, victim services."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import Timestamped, enum_type
from marketplace.extensions import Model

if TYPE_CHECKING:
    from marketplace.geography.models import Area


class AgencyKind(enum.StrEnum):
    PROBATION_REGION = "probation_region"
    POLICE_FORCE = "police_force"
    YOUTH_OFFENDING_TEAM = "youth_offending_team"
    VICTIM_SERVICE = "victim_service"
    PRISON = "prison"
    OTHER = "other"


class Agency(Timestamped, Model):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(enum_type(AgencyKind, "agency_kind"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    area: Mapped[Area | None] = relationship()
