"""Reads for people and assessments: the agency's caseload, a person's history, the taxonomy."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import selectinload

from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.people.models import AssessmentStatus, NeedsAssessment, Person
from marketplace.referrals.models import OPEN_STATES, Referral
from marketplace.taxonomy.models import Need

PAGE_SIZE = 25


def need_categories() -> list[Need]:
    """Every need category, in taxonomy order, with its sub-needs loaded."""
    return list(
        db.session.scalars(
            select(Need)
            .where(Need.parent_code.is_(None))
            .order_by(Need.position)
            .options(selectinload(Need.children))
        )
    )


NAMES_TTL_SECONDS = 300
_names_cache: dict[str, tuple[float, dict[str, str]]] = {}


def need_names() -> dict[str, str]:
    """Need code -> name, for showing codes to people. The taxonomy is seeded data that
    changes only with a deployment, so it is read at most every five minutes per process."""
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    cached = _names_cache.get(key)
    if cached and time.monotonic() - cached[0] < NAMES_TTL_SECONDS:
        return cached[1]
    names = dict(db.session.execute(select(Need.code, Need.name)).all())
    if names:
        _names_cache[key] = (time.monotonic(), names)
    return names


@dataclass(frozen=True)
class CaseloadRow:
    person: Person
    latest_version: int | None
    latest_status: AssessmentStatus | None
    latest_assessment_id: int | None
    open_referrals: int


@dataclass(frozen=True)
class Page:
    """One page of results: ``number`` counts from 1; ``pages`` is at least 1."""

    rows: list[Any]
    number: int
    pages: int
    total: int


def agency_people(agency_id: int, *, reference: str = "", page: int = 1) -> Page:
    """The agency's people, most recently changed first, optionally filtered by the start of
    their reference, with each person's latest assessment and open referral count."""
    latest = (
        select(
            NeedsAssessment.person_id,
            NeedsAssessment.id,
            NeedsAssessment.version,
            NeedsAssessment.status,
        )
        .ext(distinct_on(NeedsAssessment.person_id))
        .order_by(NeedsAssessment.person_id, NeedsAssessment.version.desc())
        .subquery()
    )
    open_referrals = (
        select(Referral.person_id, func.count().label("open_count"))
        .where(Referral.state.in_(OPEN_STATES), Referral.agency_id == agency_id)
        .group_by(Referral.person_id)
        .subquery()
    )
    query = (
        select(
            Person,
            latest.c.version,
            latest.c.status,
            latest.c.id,
            func.coalesce(open_referrals.c.open_count, 0),
        )
        .outerjoin(latest, latest.c.person_id == Person.id)
        .outerjoin(open_referrals, open_referrals.c.person_id == Person.id)
        .where(Person.agency_id == agency_id)
        .order_by(Person.updated_at.desc(), Person.id.desc())
    )
    if reference.strip():
        pattern = reference.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Person.reference.ilike(pattern + "%"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = [
        CaseloadRow(
            person=row[0],
            latest_version=row[1],
            latest_status=AssessmentStatus(row[2]) if row[2] else None,
            latest_assessment_id=row[3],
            open_referrals=row[4],
        )
        for row in db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    ]
    return Page(rows=rows, number=page, pages=pages, total=total)


def person_referrals(person: Person) -> list[Any]:
    """The person's referrals, newest first, with the service name."""
    return list(
        db.session.execute(
            select(Referral, Service.name)
            .join(Service, Service.id == Referral.service_id)
            .where(Referral.person_id == person.id)
            .order_by(Referral.sent_at.desc().nulls_last(), Referral.id.desc())
        ).all()
    )
