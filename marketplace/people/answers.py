"""A person's details and a needs assessment's answers as plain values.

Forms produce these, services store them, and :func:`assessment_answers` reads them back.
How needs are stored: each category the referrer assessed is one ``AssessedNeed`` row with
its severity and notes; each specific sub-need they ticked is a further row at the same
severity. :func:`matching_needs` turns that into what matching compares with services:
the sub-needs when some were ticked (they are the precise need), else the category.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from marketplace.people.models import NeedsAssessment
from marketplace.people.postcodes import PostcodePlace
from marketplace.vocabulary import CJSStage, Gender, RiskLevel

KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class PersonDetails:
    reference: str
    date_of_birth: date | None
    age: int | None
    gender: Gender | None
    place: PostcodePlace | None
    language: str
    accessibility_needs: list[str]
    cjs_stage: CJSStage
    risk_level: RiskLevel | None
    offences: list[str]
    offences_known: bool
    contact_preference: str
    email: str | None
    mobile: str | None


@dataclass(frozen=True)
class NeedAnswer:
    """One need category: severity 0 (no need) to 3 (high), sub-needs ticked, notes."""

    severity: int
    specific: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class AssessmentAnswers:
    needs: Mapping[str, NeedAnswer] = field(default_factory=dict)
    remote_only: bool = False
    no_remote: bool = False
    women_only: bool = False
    no_evenings: bool = False
    max_travel_km: float | None = None
    notes: str = ""
    consent: bool = False

    @property
    def needs_with_severity(self) -> dict[str, NeedAnswer]:
        return {code: answer for code, answer in self.needs.items() if answer.severity > 0}


def _category_of(code: str) -> str:
    return code.split(".", 1)[0]


def assessment_answers(assessment: NeedsAssessment) -> AssessmentAnswers:
    """The answers stored in ``assessment``, as the form shows them. Sub-needs stored
    without their category (imported or seeded assessments) give the category the highest
    of their severities."""
    severity = {n.need_code: n.severity for n in assessment.needs if "." not in n.need_code}
    notes = {n.need_code: n.notes for n in assessment.needs if "." not in n.need_code}
    specific: dict[str, list[str]] = {}
    orphan_severity: dict[str, int] = {}
    for need in assessment.needs:
        category = _category_of(need.need_code)
        if need.need_code != category:
            specific.setdefault(category, []).append(need.need_code)
            if category not in notes:
                orphan_severity[category] = max(orphan_severity.get(category, 0), need.severity)
    severity.update(orphan_severity)
    needs = {
        code: NeedAnswer(
            severity=severity[code],
            specific=tuple(sorted(specific.get(code, []))),
            notes=notes.get(code, ""),
        )
        for code in severity
    }
    return AssessmentAnswers(
        needs=needs,
        remote_only=assessment.remote_only,
        no_remote=assessment.no_remote,
        women_only=assessment.women_only,
        no_evenings=assessment.no_evenings,
        max_travel_km=float(assessment.max_travel_km) if assessment.max_travel_km else None,
        notes=assessment.notes,
        consent=assessment.consent_recorded_at is not None,
    )


def matching_needs(assessment: NeedsAssessment) -> dict[str, int]:
    """Need code -> severity for matching: ticked sub-needs replace their category.
    Needs at severity 0 are left out."""
    by_category: dict[str, dict[str, int]] = {}
    for need in assessment.needs:
        by_category.setdefault(_category_of(need.need_code), {})[need.need_code] = need.severity
    needs: dict[str, int] = {}
    for category, rows in by_category.items():
        specific = {code: severity for code, severity in rows.items() if code != category}
        needs.update(specific or rows)
    return {code: severity for code, severity in needs.items() if severity > 0}


def need_notes(assessment: NeedsAssessment) -> dict[str, str]:
    """Category code -> the referrer's notes on it (only categories with notes)."""
    return {n.need_code: n.notes for n in assessment.needs if n.notes and "." not in n.need_code}
