"""How Open Referral UK taxonomy terms map onto Pathways' needs and vocabularies.

Our own export writes needs and eligibility as terms of the ``pathways-*`` taxonomies
(the term code is our value), so a round trip maps exactly. Terms from other taxonomies
are matched by name against ``taxonomy_map.json`` and then against our need names;
anything left is reported as unmapped, never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from marketplace.vocabulary import (
    Accessibility,
    CJSStage,
    DeliveryMode,
    Gender,
    OffenceCategory,
    ReferralRoute,
    RiskLevel,
)

NEEDS_TAXONOMY = "pathways-needs"

# Taxonomy name -> (service field, allowed values).
VOCABULARY_TAXONOMIES: dict[str, tuple[str, frozenset[str]]] = {
    "pathways-gender": ("genders", frozenset(Gender)),
    "pathways-cjs-stage": ("cjs_stages", frozenset(CJSStage)),
    "pathways-risk-level": ("risk_levels", frozenset(RiskLevel)),
    "pathways-offence-exclusion": ("offence_exclusions", frozenset(OffenceCategory)),
    "pathways-delivery-mode": ("delivery_modes", frozenset(DeliveryMode)),
    "pathways-referral-route": ("referral_routes", frozenset(ReferralRoute)),
    "pathways-accessibility": ("accessibility", frozenset(Accessibility)),
}
FIELD_TAXONOMIES = {field: taxonomy for taxonomy, (field, _) in VOCABULARY_TAXONOMIES.items()}

MAP_FILE = Path(__file__).with_name("taxonomy_map.json")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@cache
def _names_to_needs() -> dict[str, str]:
    return {_key(name): code for name, code in json.loads(MAP_FILE.read_text()).items()}


@dataclass(frozen=True)
class Term:
    """A taxonomy term as the file gives it."""

    id: str
    code: str
    name: str
    taxonomy: str


@dataclass(frozen=True)
class Mapping:
    """Where a term lands: a need code, or a value of a service field, or nowhere."""

    need_code: str | None = None
    field: str | None = None
    value: str | None = None

    @property
    def mapped(self) -> bool:
        return self.need_code is not None or self.field is not None


def map_term(term: Term, need_codes: frozenset[str], need_names: dict[str, str]) -> Mapping:
    """Map one term. ``need_codes`` are our needs; ``need_names`` maps a name key to a code."""
    taxonomy = term.taxonomy.lower()
    if taxonomy == NEEDS_TAXONOMY:
        return Mapping(need_code=term.code) if term.code in need_codes else Mapping()
    if taxonomy in VOCABULARY_TAXONOMIES:
        field, allowed = VOCABULARY_TAXONOMIES[taxonomy]
        return Mapping(field=field, value=term.code) if term.code in allowed else Mapping()
    for text in (term.name, term.code):
        key = _key(text or "")
        code = _names_to_needs().get(key) or need_names.get(key)
        if code in need_codes:
            return Mapping(need_code=code)
    return Mapping()
