"""Matching people to services: eligibility rules (hard filters) and explainable ranking.

Pure functions over plain frozen dataclasses; no Flask, no database. The marketplace builds
:class:`AssessmentFacts` and :class:`CandidateService` values from its models (computing each
service's distance with PostGIS) and calls :func:`rank`.
"""

from matching.eligibility import (
    RULES,
    Caveat,
    Eligibility,
    EligibilityPolicy,
    Refusal,
    Rule,
    check_eligibility,
)
from matching.needs import Coverage, coverage, needs_met
from matching.ranking import (
    Match,
    Priors,
    Score,
    ScoreTerm,
    Term,
    Weights,
    explain,
    rank,
    score,
    smoothed_mean,
)
from matching.types import (
    AssessmentFacts,
    CandidateService,
    CapacityStatus,
    CJSStage,
    Constraints,
    DeliveryMode,
    Gender,
    RiskLevel,
    ServiceStatus,
)

__all__ = [
    "RULES",
    "AssessmentFacts",
    "CJSStage",
    "CandidateService",
    "CapacityStatus",
    "Caveat",
    "Constraints",
    "Coverage",
    "DeliveryMode",
    "Eligibility",
    "EligibilityPolicy",
    "Gender",
    "Match",
    "Priors",
    "Refusal",
    "RiskLevel",
    "Rule",
    "Score",
    "ScoreTerm",
    "ServiceStatus",
    "Term",
    "Weights",
    "check_eligibility",
    "coverage",
    "explain",
    "needs_met",
    "rank",
    "score",
    "smoothed_mean",
]
