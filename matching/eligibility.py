"""Eligibility: the hard filters a service must pass before it is ranked.

Each rule is a small pure function ``(facts, service, policy) -> Refusal | Caveat | None``:

- ``None``: the rule passes;
- ``Refusal``: the rule excludes the service, with a message quoting the rule;
- ``Caveat``: the rule does not exclude the service but the referrer should know something,
  mostly that a fact the rule needs is unknown. Unknown facts never exclude a service.

:func:`check_eligibility` runs every rule, so a referrer asking "why not?" sees every rule
the service fails, not only the first. Nothing here can be overridden: a refused service is
refused, and ranking never sees it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from matching.needs import needs_met
from matching.types import (
    AssessmentFacts,
    CandidateService,
    CapacityStatus,
    Gender,
    ServiceStatus,
)
from matching.wording import (
    join_words,
    label,
    labels,
    language_name,
    miles,
    waiting_time,
)


class Rule(enum.StrEnum):
    """The name of each eligibility rule, stable for logs, tests and the API."""

    NEEDS = "needs"
    AGE = "age"
    GENDER = "gender"
    WOMEN_ONLY = "women_only"
    CJS_STAGE = "cjs_stage"
    RISK = "risk"
    OFFENCES = "offences"
    LANGUAGE = "language"
    ACCESSIBILITY = "accessibility"
    REMOTE = "remote"
    EVENINGS = "evenings"
    AREA = "area"
    STATUS = "status"
    VERIFICATION = "verification"
    CAPACITY = "capacity"


@dataclass(frozen=True)
class Refusal:
    """Why a service is not eligible: the rule and a plain-English message quoting it."""

    rule: Rule
    message: str


@dataclass(frozen=True)
class Caveat:
    """Something the referrer should know about an eligible service (e.g. an unknown fact)."""

    rule: Rule
    message: str


@dataclass(frozen=True)
class EligibilityPolicy:
    """Configuration of the hard filters.

    ``default_max_travel_km``: how far a person is assumed able to travel when the
    assessment gives no limit. 25 km (about 15 miles) is roughly an hour by bus outside
    the big cities; it is a starting value for referrers' feedback to tune, and any
    assessment that states a limit overrides it.
    """

    default_max_travel_km: float = 25.0


DEFAULT_POLICY = EligibilityPolicy()


@dataclass(frozen=True)
class Eligibility:
    """The outcome of every rule for one service: all refusals and all caveats, in rule order."""

    refusals: tuple[Refusal, ...]
    caveats: tuple[Caveat, ...]

    @property
    def passed(self) -> bool:
        return not self.refusals


Outcome = Refusal | Caveat | None
RuleCheck = Callable[[AssessmentFacts, CandidateService, EligibilityPolicy], Outcome]


def needs_rule(facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy) -> Outcome:
    """The service must meet, at least in part, one need assessed at severity 1 or more."""
    assessed = facts.assessed_needs
    if not assessed:
        return Refusal(Rule.NEEDS, "This person has no needs assessed at severity 1 or more")
    if needs_met(assessed, service.need_codes):
        return None
    return Refusal(
        Rule.NEEDS,
        f"Meets {join_words(service.need_codes) or 'no needs'}; "
        f"this person needs {join_words(assessed)}",
    )


def _age_range(service: CandidateService) -> str:
    if service.min_age is not None and service.max_age is not None:
        return f"Accepts ages {service.min_age} to {service.max_age}"
    if service.min_age is not None:
        return f"Accepts ages {service.min_age} and over"
    return f"Accepts ages up to {service.max_age}"


def age_rule(facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy) -> Outcome:
    """The person's age must be within the service's age range, where it has one."""
    if service.min_age is None and service.max_age is None:
        return None
    if facts.age is None:
        return Caveat(Rule.AGE, f"{_age_range(service)}; this person's age is unknown")
    too_young = service.min_age is not None and facts.age < service.min_age
    too_old = service.max_age is not None and facts.age > service.max_age
    if too_young or too_old:
        return Refusal(Rule.AGE, f"{_age_range(service)}; this person is {facts.age}")
    return None


def gender_rule(facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy) -> Outcome:
    """The person's gender must be one the service accepts. A women-only service accepts
    only people whose gender is recorded as female."""
    if service.women_only:
        accepted = frozenset({Gender.FEMALE})
        rule_text = "Women-only service"
    elif service.genders:
        accepted = service.genders
        rule_text = f"Accepts {labels(accepted)} people only"
    else:
        return None
    if facts.gender is None:
        return Caveat(Rule.GENDER, f"{rule_text}; this person's gender is unknown")
    if facts.gender not in accepted:
        return Refusal(
            Rule.GENDER, f"{rule_text}; this person's gender is recorded as {label(facts.gender)}"
        )
    return None


def women_only_rule(
    facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy
) -> Outcome:
    """A person who needs a women-only service is offered only services that accept women
    alone (flagged women-only, or accepting female people only)."""
    if not facts.constraints.women_only:
        return None
    if service.women_only or service.genders == {Gender.FEMALE}:
        return None
    return Refusal(
        Rule.WOMEN_ONLY, "Not a women-only service; this person needs a women-only service"
    )


def cjs_stage_rule(
    facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy
) -> Outcome:
    """The person's criminal-justice stage must be one the service works with, if it limits them."""
    if not service.cjs_stages:
        return None
    rule_text = f"Accepts people at these stages only: {labels(service.cjs_stages)}"
    if facts.cjs_stage is None:
        return Caveat(Rule.CJS_STAGE, f"{rule_text}; this person's stage is unknown")
    if facts.cjs_stage not in service.cjs_stages:
        return Refusal(
            Rule.CJS_STAGE, f"{rule_text}; this person's stage is {label(facts.cjs_stage)}"
        )
    return None


def risk_rule(facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy) -> Outcome:
    """The person's risk-of-harm level must be one the service accepts, if it limits them."""
    if not service.risk_levels:
        return None
    rule_text = f"Accepts {labels(service.risk_levels)} risk only"
    if facts.risk_level is None:
        return Caveat(Rule.RISK, f"{rule_text}; this person's risk level is unknown")
    if facts.risk_level not in service.risk_levels:
        return Refusal(Rule.RISK, f"{rule_text}; this person is {label(facts.risk_level)} risk")
    return None


def offences_rule(
    facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy
) -> Outcome:
    """The person must have no offence in a category the service excludes."""
    if not service.offence_exclusions:
        return None
    if facts.offences is None:
        excluded = labels(service.offence_exclusions, "or")
        return Caveat(
            Rule.OFFENCES,
            f"Does not accept people convicted of {excluded} offences; "
            "this person's offences are not recorded",
        )
    matching_exclusions = facts.offences & service.offence_exclusions
    if matching_exclusions:
        excluded = labels(matching_exclusions, "or")
        return Refusal(Rule.OFFENCES, f"Does not accept people convicted of {excluded} offences")
    return None


def language_rule(
    facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy
) -> Outcome:
    """The service must deliver in the person's language or arrange an interpreter."""
    offered = join_words(language_name(code) for code in service.offered_languages)
    if facts.language is not None and facts.language in service.offered_languages:
        return None
    if facts.language is None:
        if service.interpreter_available:
            return None
        return Caveat(
            Rule.LANGUAGE, f"Delivers in {offered} only; this person's language is unknown"
        )
    spoken = language_name(facts.language)
    if service.interpreter_available:
        return Caveat(Rule.LANGUAGE, f"Delivers in {offered}; arranges an interpreter for {spoken}")
    return Refusal(Rule.LANGUAGE, f"Delivers in {offered} only; this person speaks {spoken}")


def accessibility_rule(
    facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy
) -> Outcome:
    """The service must offer every accessibility feature the person needs."""
    missing = facts.accessibility_needs - service.accessibility
    if not missing:
        return None
    return Refusal(Rule.ACCESSIBILITY, f"Does not offer {labels(missing)}, which this person needs")


def remote_rule(facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy) -> Outcome:
    """A person who can only take part remotely needs a service delivered remotely."""
    if facts.constraints.remote_only and not service.offers_remote:
        return Refusal(
            Rule.REMOTE, "Does not deliver remotely; this person can only take part remotely"
        )
    return None


def evenings_rule(
    facts: AssessmentFacts, service: CandidateService, _: EligibilityPolicy
) -> Outcome:
    """A person who cannot attend in the evenings cannot use an evenings-only service."""
    if facts.constraints.no_evenings and service.evenings_only:
        return Refusal(
            Rule.EVENINGS, "Runs in the evenings only; this person cannot attend in the evenings"
        )
    return None


def area_rule(
    facts: AssessmentFacts, service: CandidateService, policy: EligibilityPolicy
) -> Outcome:
    """The service must reach the person: it is delivered remotely and the person can take
    part remotely, or it delivers to one of the person's areas, or its nearest location is
    within the person's travel limit (the policy default when the assessment sets none)."""
    remote_usable = service.offers_remote and not facts.constraints.no_remote
    if remote_usable or service.service_area_codes & facts.area_codes:
        return None
    limit_km = facts.constraints.max_travel_km or policy.default_max_travel_km
    distance_km = service.distance_km
    if distance_km is not None and distance_km <= limit_km:
        return None
    suffix = "; this person cannot take part remotely" if service.offers_remote else ""
    if facts.point is None:
        return Caveat(
            Rule.AREA,
            "Does not deliver to this area; travel distance not checked "
            f"as this person's location is unknown{suffix}",
        )
    if distance_km is None:
        return Refusal(
            Rule.AREA, f"Does not deliver to this area and has no in-person location{suffix}"
        )
    return Refusal(
        Rule.AREA,
        f"Does not deliver to this area and is {miles(distance_km)} away; "
        f"travel limit is {miles(limit_km)}{suffix}",
    )


def status_rule(_: AssessmentFacts, service: CandidateService, __: EligibilityPolicy) -> Outcome:
    """Only published services take referrals."""
    if service.status == ServiceStatus.DRAFT:
        return Refusal(Rule.STATUS, "Not published")
    if service.status == ServiceStatus.PAUSED:
        return Refusal(Rule.STATUS, "Paused by the provider; not taking referrals")
    return None


def verification_rule(
    _: AssessmentFacts, service: CandidateService, __: EligibilityPolicy
) -> Outcome:
    """Only services of verified organisations take referrals."""
    if service.organisation_verified:
        return None
    return Refusal(Rule.VERIFICATION, "Organisation not verified yet")


def capacity_rule(_: AssessmentFacts, service: CandidateService, __: EligibilityPolicy) -> Outcome:
    """A full service takes no referrals; a waiting list is eligible with a caveat.
    The provider's stated capacity status is trusted over the count of places."""
    if service.capacity_status == CapacityStatus.FULL:
        return Refusal(Rule.CAPACITY, "Full, and has no waiting list")
    if service.capacity_status == CapacityStatus.WAITING_LIST:
        if service.waiting_days is None:
            return Caveat(Rule.CAPACITY, "Has a waiting list; waiting time not given")
        return Caveat(Rule.CAPACITY, f"Has a waiting list of {waiting_time(service.waiting_days)}")
    return None


RULES: tuple[RuleCheck, ...] = (
    needs_rule,
    age_rule,
    gender_rule,
    women_only_rule,
    cjs_stage_rule,
    risk_rule,
    offences_rule,
    language_rule,
    accessibility_rule,
    remote_rule,
    evenings_rule,
    area_rule,
    status_rule,
    verification_rule,
    capacity_rule,
)
"""Every eligibility rule, in the order refusals and caveats are reported."""


def check_eligibility(
    facts: AssessmentFacts,
    service: CandidateService,
    policy: EligibilityPolicy = DEFAULT_POLICY,
) -> Eligibility:
    """Run every rule in :data:`RULES` and collect all refusals and caveats.

    The service is eligible (``passed``) exactly when no rule refuses it.
    """
    outcomes = [rule(facts, service, policy) for rule in RULES]
    return Eligibility(
        refusals=tuple(o for o in outcomes if isinstance(o, Refusal)),
        caveats=tuple(o for o in outcomes if isinstance(o, Caveat)),
    )
