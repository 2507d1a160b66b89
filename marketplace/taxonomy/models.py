"""The needs taxonomy, kept as seeded data rather than code."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import enum_type
from marketplace.extensions import Model


class NeedGroup(enum.StrEnum):
    REDUCING_REOFFENDING = "reducing_reoffending"
    WOMEN = "women"
    VICTIMS = "victims"
    YOUTH = "youth"


class Need(Model):
    """A need category ("accommodation") or sub-need ("accommodation.homeless").

    Codes are dotted: a sub-need's code starts with its category's code and a dot.
    """

    __tablename__ = "need"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    group: Mapped[NeedGroup] = mapped_column(enum_type(NeedGroup, "need_group"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("need.code"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    parent: Mapped[Need | None] = relationship(remote_side=[code], back_populates="children")
    children: Mapped[list[Need]] = relationship(back_populates="parent", order_by="Need.position")

    @property
    def is_category(self) -> bool:
        return self.parent_code is None
