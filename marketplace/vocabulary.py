"""Controlled vocabularies shared by services (what they accept) and people (who they are).

Stored as strings; the values are the contract with the matching package, the API and
Open Referral UK exports, so change them only with a migration of the stored data.
"""

from __future__ import annotations

import enum

# The matching package owns the vocabularies eligibility depends on; re-exported here.
from matching.types import CapacityStatus, CJSStage, DeliveryMode, Gender, RiskLevel
from matching.wording import LANGUAGES

__all__ = [
    "Accessibility",
    "CJSStage",
    "CapacityStatus",
    "DeliveryMode",
    "Gender",
    "LANGUAGES",
    "OffenceCategory",
    "ReferralRoute",
    "RiskLevel",
    "label",
]


class ReferralRoute(enum.StrEnum):
    PROFESSIONAL = "professional"
    SELF = "self"


class OffenceCategory(enum.StrEnum):
    ARSON = "arson"
    SEXUAL = "sexual"
    VIOLENCE = "violence"
    DOMESTIC_ABUSE = "domestic_abuse"
    DRUGS = "drugs"
    ACQUISITIVE = "acquisitive"
    HATE = "hate"
    TERRORISM = "terrorism"


class Accessibility(enum.StrEnum):
    STEP_FREE = "step_free"
    HEARING_LOOP = "hearing_loop"
    ACCESSIBLE_TOILET = "accessible_toilet"
    BSL = "bsl"
    EASY_READ = "easy_read"
    QUIET_SPACE = "quiet_space"


LABELS: dict[enum.StrEnum, str] = {
    Gender.NON_BINARY: "Non-binary",
    CJSStage.OUT_OF_COURT: "Out-of-court resolution",
    CJSStage.PRE_CHARGE: "Pre-charge",
    CJSStage.COMMUNITY_ORDER: "Community order",
    CJSStage.LICENCE: "Licence or post-release",
    CJSStage.VICTIM: "Victim",
    RiskLevel.VERY_HIGH: "Very high",
    DeliveryMode.IN_PERSON: "In person",
    DeliveryMode.REMOTE: "Remote (phone or video)",
    DeliveryMode.OUTREACH: "Outreach",
    ReferralRoute.PROFESSIONAL: "Professional referral",
    ReferralRoute.SELF: "Self-referral",
    CapacityStatus.AVAILABLE: "Places available",
    CapacityStatus.WAITING_LIST: "Waiting list",
    CapacityStatus.FULL: "Full",
    OffenceCategory.SEXUAL: "Sexual offences",
    OffenceCategory.DOMESTIC_ABUSE: "Domestic abuse",
    OffenceCategory.ACQUISITIVE: "Acquisitive (theft, burglary)",
    Accessibility.STEP_FREE: "Step-free access",
    Accessibility.BSL: "British Sign Language",
}


def label(value: enum.StrEnum | str, enum_class: type[enum.StrEnum] | None = None) -> str:
    """Human label for a vocabulary value, e.g. ``very_high`` -> "Very high"."""
    if enum_class is not None and not isinstance(value, enum.StrEnum):
        value = enum_class(value)
    if isinstance(value, enum.StrEnum) and value in LABELS:
        return LABELS[value]
    return str(value).replace("_", " ").capitalize()
