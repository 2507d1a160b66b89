"""Writes for people and needs assessments. Services flush; the caller commits.

An assessment is a draft until completed; only drafts can be edited. A reassessment is a
new version, started as a copy of the current one, and completing it marks the earlier
complete version superseded, so every version stays readable and referrals keep pointing
at the assessment they were made from.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.people.answers import AssessmentAnswers, PersonDetails, assessment_answers
from marketplace.people.models import AssessedNeed, AssessmentStatus, NeedsAssessment, Person


class AssessmentNotEditable(Exception):
    """Only a draft assessment can be changed."""


class StaleAssessment(Exception):
    """The draft changed since the form was opened (another tab or another person)."""


def _apply_details(person: Person, details: PersonDetails) -> None:
    person.reference = details.reference
    person.date_of_birth = details.date_of_birth
    person.age = details.age
    person.gender = details.gender
    person.language = details.language
    person.accessibility_needs = details.accessibility_needs
    person.cjs_stage = details.cjs_stage
    person.risk_level = details.risk_level
    person.offences = details.offences
    person.offences_known = details.offences_known
    person.contact_preference = details.contact_preference
    person.email = details.email
    person.mobile = details.mobile
    place = details.place
    person.postcode = place.postcode if place else None
    person.point = place.point if place else None
    person.area_id = place.area_id if place else None


def create_person(details: PersonDetails, *, user: User) -> Person:
    """Record a person for the user's agency."""
    if user.agency_id is None:
        raise ValueError("Only a referrer with an agency can record people")
    person = Person(agency_id=user.agency_id, created_by_id=user.id)
    _apply_details(person, details)
    db.session.add(person)
    db.session.flush()
    record("person_created", person, actor=user)
    return person


def update_person(person: Person, details: PersonDetails, *, user: User) -> None:
    _apply_details(person, details)
    db.session.flush()
    record("person_updated", person, actor=user)


def current_draft(person: Person) -> NeedsAssessment | None:
    return db.session.scalar(
        select(NeedsAssessment).where(
            NeedsAssessment.person_id == person.id,
            NeedsAssessment.status == AssessmentStatus.DRAFT,
        )
    )


def start_assessment(person: Person, *, user: User) -> NeedsAssessment:
    """The person's draft assessment: the existing one, or a new version copying the latest
    complete one (a reassessment), or a blank first version."""
    draft = current_draft(person)
    if draft is not None:
        return draft
    latest = db.session.scalar(
        select(NeedsAssessment)
        .where(NeedsAssessment.person_id == person.id)
        .order_by(NeedsAssessment.version.desc())
        .limit(1)
    )
    draft = NeedsAssessment(
        person_id=person.id,
        version=(latest.version + 1) if latest else 1,
        status=AssessmentStatus.DRAFT,
        assessed_by_id=user.id,
    )
    if latest is not None:
        # Consent is asked again: it was given for the earlier assessment's referrals.
        _apply_answers(draft, replace(assessment_answers(latest), consent=False), user=user)
    try:
        with db.session.begin_nested():
            db.session.add(draft)
            db.session.flush()
    except IntegrityError:
        # Someone started a draft at the same moment: there is still only one, use it.
        existing = current_draft(person)
        if existing is None:
            raise
        return existing
    record("assessment_started", draft, actor=user, version=draft.version)
    return draft


def _apply_answers(
    assessment: NeedsAssessment,
    answers: AssessmentAnswers,
    *,
    user: User,
) -> None:
    assessment.remote_only = answers.remote_only
    assessment.no_remote = answers.no_remote
    assessment.women_only = answers.women_only
    assessment.no_evenings = answers.no_evenings
    assessment.max_travel_km = (
        round(answers.max_travel_km, 1) if answers.max_travel_km is not None else None
    )
    assessment.notes = answers.notes
    if answers.consent:
        assessment.consent_recorded_at = assessment.consent_recorded_at or utcnow()
    else:
        assessment.consent_recorded_at = None
    assessment.assessed_by_id = user.id
    assessment.needs = [
        AssessedNeed(need_code=code, severity=answer.severity, notes=answer.notes)
        for code, answer in answers.needs_with_severity.items()
    ] + [
        AssessedNeed(need_code=specific, severity=answer.severity)
        for answer in answers.needs_with_severity.values()
        for specific in answer.specific
    ]


def edit_token(assessment: NeedsAssessment) -> str:
    """A token for the form that changes whenever the draft is saved."""
    return assessment.updated_at.isoformat() if assessment.updated_at else ""


def save_assessment(
    assessment: NeedsAssessment,
    answers: AssessmentAnswers,
    *,
    user: User,
    token: str | None = None,
) -> None:
    """Save a draft's answers. Raises AssessmentNotEditable for a completed version and
    StaleAssessment when ``token`` is given and the draft was saved since it was issued."""
    locked = db.session.execute(
        select(NeedsAssessment.status, NeedsAssessment.updated_at)
        .where(NeedsAssessment.id == assessment.id)
        .with_for_update()
    ).one()
    if locked.status != AssessmentStatus.DRAFT:
        raise AssessmentNotEditable(assessment.id)
    if token is not None and token != (locked.updated_at.isoformat() if locked.updated_at else ""):
        raise StaleAssessment(assessment.id)
    # Rows are replaced, so delete the old ones before the new ones reuse their keys.
    assessment.needs = []
    db.session.flush()
    _apply_answers(assessment, answers, user=user)
    assessment.updated_at = func.clock_timestamp()
    db.session.flush()
    db.session.refresh(assessment, ["updated_at"])
    record("assessment_saved", assessment, actor=user, version=assessment.version)


def complete_assessment(assessment: NeedsAssessment, *, user: User) -> None:
    """Mark a draft complete and supersede the person's earlier complete version.
    Raises AssessmentNotEditable if it is not a draft, ValueError if it has no need."""
    if assessment.status != AssessmentStatus.DRAFT:
        raise AssessmentNotEditable(assessment.id)
    if not any(need.severity > 0 for need in assessment.needs):
        raise ValueError("An assessment needs at least one need to be complete")
    db.session.execute(
        update(NeedsAssessment)
        .where(
            NeedsAssessment.person_id == assessment.person_id,
            NeedsAssessment.status == AssessmentStatus.COMPLETE,
            NeedsAssessment.id != assessment.id,
        )
        .values(status=AssessmentStatus.SUPERSEDED)
        .execution_options(synchronize_session="fetch")
    )
    assessment.status = AssessmentStatus.COMPLETE
    assessment.completed_at = utcnow()
    assessment.assessed_by_id = user.id
    db.session.flush()
    record("assessment_completed", assessment, actor=user, version=assessment.version)
