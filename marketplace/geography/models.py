"""UK geography: postcodes and the areas (regions, police force areas, local authorities)."""

from __future__ import annotations

import enum
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import enum_type
from marketplace.extensions import Model


class AreaKind(enum.StrEnum):
    COUNTRY = "country"
    REGION = "region"
    POLICE_FORCE_AREA = "police_force_area"
    LOCAL_AUTHORITY = "local_authority"
    LSOA = "lsoa"


class Area(Model):
    """A named area with a GSS code, e.g. E09000033 (Westminster) or E92000001 (England)."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[AreaKind] = mapped_column(enum_type(AreaKind, "area_kind"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    # Full-resolution shape for point-in-polygon; browsers get a simplified copy.
    boundary: Mapped[Any | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True)
    )
    centroid: Mapped[Any | None] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))

    parent: Mapped[Area | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.name}>"


class Postcode(Model):
    """One Great Britain postcode from OS Code-Point Open, normalised ("SW1A 1AA")."""

    __tablename__ = "postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    outward: Mapped[str] = mapped_column(String(4), index=True)
    point: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    local_authority_code: Mapped[str | None] = mapped_column(String(9))


class OutwardCode(Model):
    """The centroid of a postcode district ("M1"), for partial postcodes."""

    __tablename__ = "outward_code"

    outward: Mapped[str] = mapped_column(String(4), primary_key=True)
    point: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    postcode_count: Mapped[int] = mapped_column(Integer)
