"""Each eligibility rule passes, refuses with a message quoting the rule, or adds a caveat."""

from dataclasses import replace

import pytest

from matching import (
    RULES,
    AssessmentFacts,
    CandidateService,
    CapacityStatus,
    Caveat,
    CJSStage,
    Constraints,
    DeliveryMode,
    EligibilityPolicy,
    Gender,
    Refusal,
    RiskLevel,
    Rule,
    ServiceStatus,
    check_eligibility,
)

IN_PERSON = frozenset({DeliveryMode.IN_PERSON})
REMOTE = frozenset({DeliveryMode.REMOTE})


def outcome_of(rule: Rule, facts: AssessmentFacts, service: CandidateService) -> object:
    """The refusal or caveat ``rule`` gives, or None; fails if the rule gives more than one."""
    eligibility = check_eligibility(facts, service)
    found = [o for o in eligibility.refusals + eligibility.caveats if o.rule == rule]
    assert len(found) <= 1
    return found[0] if found else None


def test_baseline_person_and_service_are_eligible_without_caveats(person, service):
    eligibility = check_eligibility(person, service)

    assert eligibility.passed
    assert eligibility.refusals == ()
    assert eligibility.caveats == ()


def test_every_rule_is_checked_once():
    assert len(RULES) == len(Rule)


# Needs


def test_service_meeting_no_assessed_need_is_refused(person, service):
    other = replace(service, need_codes=frozenset({"education", "health.mental"}))

    assert outcome_of(Rule.NEEDS, person, other) == Refusal(
        Rule.NEEDS, "Meets education and health.mental; this person needs accommodation and finance"
    )


def test_need_of_severity_zero_does_not_count_as_a_need(person, service):
    finance_only = replace(service, need_codes=frozenset({"finance"}))
    no_finance_need = replace(person, needs={"accommodation": 3, "finance": 0})

    assert outcome_of(Rule.NEEDS, person, finance_only) is None
    assert outcome_of(Rule.NEEDS, no_finance_need, finance_only) == Refusal(
        Rule.NEEDS, "Meets finance; this person needs accommodation"
    )


def test_service_meeting_one_sub_need_of_an_assessed_category_passes(person, service):
    homeless = replace(service, need_codes=frozenset({"accommodation.homeless"}))

    assert outcome_of(Rule.NEEDS, person, homeless) is None


def test_service_meeting_the_category_of_an_assessed_sub_need_passes(person, service):
    needs_homeless = replace(person, needs={"accommodation.homeless": 2})

    assert outcome_of(Rule.NEEDS, needs_homeless, service) is None


def test_person_without_any_need_is_refused_everywhere(person, service):
    no_needs = replace(person, needs={"accommodation": 0})

    assert outcome_of(Rule.NEEDS, no_needs, service) == Refusal(
        Rule.NEEDS, "This person has no needs assessed at severity 1 or more"
    )


# Age


@pytest.mark.parametrize(
    ("min_age", "max_age", "age", "message"),
    [
        (18, 25, 31, "Accepts ages 18 to 25; this person is 31"),
        (18, 25, 17, "Accepts ages 18 to 25; this person is 17"),
        (18, None, 16, "Accepts ages 18 and over; this person is 16"),
        (None, 25, 26, "Accepts ages up to 25; this person is 26"),
    ],
)
def test_age_outside_the_range_is_refused(person, service, min_age, max_age, age, message):
    limited = replace(service, min_age=min_age, max_age=max_age)

    assert outcome_of(Rule.AGE, replace(person, age=age), limited) == Refusal(Rule.AGE, message)


@pytest.mark.parametrize("age", [18, 21, 25])
def test_age_inside_the_range_including_its_ends_passes(person, service, age):
    limited = replace(service, min_age=18, max_age=25)

    assert outcome_of(Rule.AGE, replace(person, age=age), limited) is None


def test_unknown_age_is_a_caveat_not_a_refusal(person, service):
    limited = replace(service, min_age=18, max_age=25)
    eligibility = check_eligibility(replace(person, age=None), limited)

    assert eligibility.passed
    assert eligibility.caveats == (
        Caveat(Rule.AGE, "Accepts ages 18 to 25; this person's age is unknown"),
    )


def test_unknown_age_needs_no_caveat_when_the_service_has_no_age_limit(person, service):
    assert outcome_of(Rule.AGE, replace(person, age=None), service) is None


# Gender and women-only


def test_gender_not_accepted_is_refused(person, service):
    limited = replace(service, genders=frozenset({Gender.FEMALE, Gender.NON_BINARY}))

    assert outcome_of(Rule.GENDER, person, limited) == Refusal(
        Rule.GENDER,
        "Accepts female and non-binary people only; this person's gender is recorded as male",
    )


def test_gender_accepted_passes(person, service):
    limited = replace(service, genders=frozenset({Gender.MALE}))

    assert outcome_of(Rule.GENDER, person, limited) is None


def test_unknown_gender_is_a_caveat_where_the_service_limits_gender(person, service):
    limited = replace(service, genders=frozenset({Gender.MALE}))

    assert outcome_of(Rule.GENDER, replace(person, gender=None), limited) == Caveat(
        Rule.GENDER, "Accepts male people only; this person's gender is unknown"
    )


@pytest.mark.parametrize("gender", [Gender.MALE, Gender.NON_BINARY, Gender.OTHER])
def test_women_only_service_refuses_anyone_not_recorded_as_female(person, service, gender):
    women_only = replace(service, women_only=True)

    refusal = outcome_of(Rule.GENDER, replace(person, gender=gender), women_only)

    assert isinstance(refusal, Refusal)
    assert refusal.message.startswith("Women-only service; this person's gender is recorded as")


def test_women_only_service_accepts_a_woman(person, service):
    women_only = replace(service, women_only=True)

    assert outcome_of(Rule.GENDER, replace(person, gender=Gender.FEMALE), women_only) is None


def test_person_needing_women_only_service_is_refused_a_mixed_service(person, service):
    woman = replace(person, gender=Gender.FEMALE, constraints=Constraints(women_only=True))

    assert outcome_of(Rule.WOMEN_ONLY, woman, service) == Refusal(
        Rule.WOMEN_ONLY, "Not a women-only service; this person needs a women-only service"
    )


@pytest.mark.parametrize("changes", [{"women_only": True}, {"genders": frozenset({Gender.FEMALE})}])
def test_person_needing_women_only_service_accepts_one_for_women_alone(person, service, changes):
    woman = replace(person, gender=Gender.FEMALE, constraints=Constraints(women_only=True))

    assert outcome_of(Rule.WOMEN_ONLY, woman, replace(service, **changes)) is None


# Criminal-justice stage and risk


def test_stage_not_worked_with_is_refused(person, service):
    limited = replace(service, cjs_stages=frozenset({CJSStage.COURT, CJSStage.COMMUNITY_ORDER}))

    assert outcome_of(Rule.CJS_STAGE, person, limited) == Refusal(
        Rule.CJS_STAGE,
        "Accepts people at these stages only: community order and court; "
        "this person's stage is licence (post-release)",
    )


def test_stage_worked_with_passes(person, service):
    limited = replace(service, cjs_stages=frozenset({CJSStage.LICENCE}))

    assert outcome_of(Rule.CJS_STAGE, person, limited) is None


def test_unknown_stage_is_a_caveat(person, service):
    limited = replace(service, cjs_stages=frozenset({CJSStage.LICENCE}))

    assert isinstance(outcome_of(Rule.CJS_STAGE, replace(person, cjs_stage=None), limited), Caveat)


def test_risk_level_not_accepted_is_refused(person, service):
    limited = replace(service, risk_levels=frozenset({RiskLevel.LOW, RiskLevel.MEDIUM}))
    high_risk = replace(person, risk_level=RiskLevel.VERY_HIGH)

    assert outcome_of(Rule.RISK, high_risk, limited) == Refusal(
        Rule.RISK, "Accepts low and medium risk only; this person is very high risk"
    )


def test_risk_level_accepted_passes(person, service):
    limited = replace(service, risk_levels=frozenset({RiskLevel.LOW, RiskLevel.MEDIUM}))

    assert outcome_of(Rule.RISK, person, limited) is None


def test_unknown_risk_level_is_a_caveat(person, service):
    limited = replace(service, risk_levels=frozenset({RiskLevel.LOW}))

    assert outcome_of(Rule.RISK, replace(person, risk_level=None), limited) == Caveat(
        Rule.RISK, "Accepts low risk only; this person's risk level is unknown"
    )


# Offence exclusions


def test_excluded_offence_is_refused_naming_only_the_offences_that_apply(person, service):
    excluding = replace(service, offence_exclusions=frozenset({"arson", "sexual"}))
    arsonist = replace(person, offences=frozenset({"arson", "acquisitive"}))

    assert outcome_of(Rule.OFFENCES, arsonist, excluding) == Refusal(
        Rule.OFFENCES, "Does not accept people convicted of arson offences"
    )


def test_several_excluded_offences_are_named_together(person, service):
    excluding = replace(service, offence_exclusions=frozenset({"arson", "domestic_abuse"}))
    both = replace(person, offences=frozenset({"arson", "domestic_abuse"}))

    assert outcome_of(Rule.OFFENCES, both, excluding) == Refusal(
        Rule.OFFENCES, "Does not accept people convicted of arson or domestic abuse offences"
    )


def test_offences_not_excluded_pass(person, service):
    excluding = replace(service, offence_exclusions=frozenset({"arson"}))

    assert (
        outcome_of(Rule.OFFENCES, replace(person, offences=frozenset({"drugs"})), excluding) is None
    )


def test_offences_not_recorded_are_a_caveat_where_the_service_excludes_some(person, service):
    excluding = replace(service, offence_exclusions=frozenset({"sexual"}))

    assert outcome_of(Rule.OFFENCES, replace(person, offences=None), excluding) == Caveat(
        Rule.OFFENCES,
        "Does not accept people convicted of sexual offences; "
        "this person's offences are not recorded",
    )


# Language and accessibility


def test_service_listing_no_language_delivers_in_english_only(person, service):
    polish = replace(person, language="pl")

    assert outcome_of(Rule.LANGUAGE, person, service) is None
    assert outcome_of(Rule.LANGUAGE, polish, service) == Refusal(
        Rule.LANGUAGE, "Delivers in English only; this person speaks Polish"
    )


def test_service_delivering_in_the_persons_language_passes(person, service):
    bilingual = replace(service, languages=frozenset({"en", "pl"}))

    assert outcome_of(Rule.LANGUAGE, replace(person, language="pl"), bilingual) is None


def test_interpreter_lets_any_language_through_with_a_caveat(person, service):
    interpreting = replace(service, interpreter_available=True)

    assert outcome_of(Rule.LANGUAGE, replace(person, language="so"), interpreting) == Caveat(
        Rule.LANGUAGE, "Delivers in English; arranges an interpreter for Somali"
    )


def test_unknown_language_is_a_caveat_unless_an_interpreter_is_available(person, service):
    unknown = replace(person, language=None)

    assert outcome_of(Rule.LANGUAGE, unknown, service) == Caveat(
        Rule.LANGUAGE, "Delivers in English only; this person's language is unknown"
    )
    assert outcome_of(Rule.LANGUAGE, unknown, replace(service, interpreter_available=True)) is None


def test_language_without_a_known_name_is_quoted_by_code(person, service):
    refusal = outcome_of(Rule.LANGUAGE, replace(person, language="xh"), service)

    assert refusal == Refusal(
        Rule.LANGUAGE, 'Delivers in English only; this person speaks language "xh"'
    )


def test_missing_accessibility_feature_is_refused(person, service):
    needs_access = replace(person, accessibility_needs=frozenset({"step_free", "easy_read"}))
    partial = replace(service, accessibility=frozenset({"easy_read"}))

    assert outcome_of(Rule.ACCESSIBILITY, needs_access, partial) == Refusal(
        Rule.ACCESSIBILITY, "Does not offer step-free access, which this person needs"
    )


def test_all_accessibility_features_offered_passes(person, service):
    needs_access = replace(person, accessibility_needs=frozenset({"step_free"}))
    accessible = replace(service, accessibility=frozenset({"step_free", "hearing_loop"}))

    assert outcome_of(Rule.ACCESSIBILITY, needs_access, accessible) is None


# Remote-only and evenings


def test_remote_only_person_is_refused_an_in_person_service(person, service):
    remote_only = replace(person, constraints=Constraints(remote_only=True))

    assert outcome_of(Rule.REMOTE, remote_only, service) == Refusal(
        Rule.REMOTE, "Does not deliver remotely; this person can only take part remotely"
    )


def test_remote_only_person_accepts_a_remote_service(person, service):
    remote_only = replace(person, constraints=Constraints(remote_only=True))

    assert outcome_of(Rule.REMOTE, remote_only, replace(service, delivery_modes=REMOTE)) is None


def test_evenings_only_service_is_refused_to_a_person_who_cannot_do_evenings(person, service):
    no_evenings = replace(person, constraints=Constraints(no_evenings=True))
    evenings = replace(service, evenings_only=True)

    assert outcome_of(Rule.EVENINGS, no_evenings, evenings) == Refusal(
        Rule.EVENINGS, "Runs in the evenings only; this person cannot attend in the evenings"
    )
    assert outcome_of(Rule.EVENINGS, person, evenings) is None
    assert outcome_of(Rule.EVENINGS, no_evenings, service) is None


# Area and travel


def test_service_delivering_to_the_persons_area_passes_however_far(person, service):
    far_but_in_area = replace(service, distance_km=80.0)

    assert outcome_of(Rule.AREA, person, far_but_in_area) is None


def test_service_outside_the_area_but_within_the_travel_limit_passes(person, service):
    neighbour = replace(service, service_area_codes=frozenset({"E08000006"}), distance_km=24.9)

    assert outcome_of(Rule.AREA, person, neighbour) is None


def test_service_outside_the_area_and_beyond_the_travel_limit_is_refused(person, service):
    neighbour = replace(service, service_area_codes=frozenset({"E08000006"}), distance_km=42.3)
    limited = replace(person, constraints=Constraints(max_travel_km=20.0))

    assert outcome_of(Rule.AREA, limited, neighbour) == Refusal(
        Rule.AREA,
        "Does not deliver to this area and is 26.3 miles away; travel limit is 12.4 miles",
    )


def test_travel_limit_defaults_to_the_policy_when_the_assessment_sets_none(person, service):
    neighbour = replace(service, service_area_codes=frozenset(), distance_km=30.0)

    default = check_eligibility(person, neighbour)
    generous = check_eligibility(person, neighbour, EligibilityPolicy(default_max_travel_km=40))

    assert [r.rule for r in default.refusals] == [Rule.AREA]
    assert generous.passed


def test_persons_own_travel_limit_overrides_the_policy_default(person, service):
    neighbour = replace(service, service_area_codes=frozenset(), distance_km=30.0)
    willing = replace(person, constraints=Constraints(max_travel_km=35.0))

    assert check_eligibility(willing, neighbour).passed


def test_remote_service_passes_the_area_rule_anywhere(person, service):
    remote_elsewhere = replace(
        service, delivery_modes=REMOTE, service_area_codes=frozenset(), distance_km=None
    )

    assert outcome_of(Rule.AREA, person, remote_elsewhere) is None


def test_remote_service_does_not_reach_a_person_who_cannot_use_remote(person, service):
    remote_elsewhere = replace(
        service, delivery_modes=REMOTE, service_area_codes=frozenset(), distance_km=None
    )
    offline = replace(person, constraints=Constraints(no_remote=True))

    assert outcome_of(Rule.AREA, offline, remote_elsewhere) == Refusal(
        Rule.AREA,
        "Does not deliver to this area and has no in-person location; "
        "this person cannot take part remotely",
    )


def test_unknown_location_is_a_caveat_not_a_refusal(person, service):
    elsewhere = replace(service, service_area_codes=frozenset({"E08000006"}), distance_km=None)
    nowhere = replace(person, point=None)

    eligibility = check_eligibility(nowhere, elsewhere)

    assert eligibility.passed
    assert eligibility.caveats == (
        Caveat(
            Rule.AREA,
            "Does not deliver to this area; travel distance not checked "
            "as this person's location is unknown",
        ),
    )


# Status, verification and capacity


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ServiceStatus.DRAFT, "Not published"),
        (ServiceStatus.PAUSED, "Paused by the provider; not taking referrals"),
    ],
)
def test_unpublished_service_is_refused(person, service, status, message):
    assert outcome_of(Rule.STATUS, person, replace(service, status=status)) == Refusal(
        Rule.STATUS, message
    )


def test_unverified_organisation_is_refused(person, service):
    unverified = replace(service, organisation_verified=False)

    assert outcome_of(Rule.VERIFICATION, person, unverified) == Refusal(
        Rule.VERIFICATION, "Organisation not verified yet"
    )


def test_full_service_is_refused(person, service):
    full = replace(service, capacity_status=CapacityStatus.FULL)

    assert outcome_of(Rule.CAPACITY, person, full) == Refusal(
        Rule.CAPACITY, "Full, and has no waiting list"
    )


@pytest.mark.parametrize(
    ("waiting_days", "message"),
    [
        (21, "Has a waiting list of about 3 weeks"),
        (5, "Has a waiting list of 5 days"),
        (None, "Has a waiting list; waiting time not given"),
    ],
)
def test_waiting_list_is_eligible_with_a_caveat(person, service, waiting_days, message):
    waiting = replace(
        service, capacity_status=CapacityStatus.WAITING_LIST, waiting_days=waiting_days
    )
    eligibility = check_eligibility(person, waiting)

    assert eligibility.passed
    assert eligibility.caveats == (Caveat(Rule.CAPACITY, message),)


def test_capacity_status_is_trusted_over_the_count_of_places(person, service):
    counted_full = replace(service, capacity=10, places_taken=10)

    assert check_eligibility(person, counted_full).passed


# All rules together


def test_every_failing_rule_is_reported_in_rule_order(person, service):
    hopeless = replace(
        service,
        need_codes=frozenset({"education"}),
        max_age=25,
        status=ServiceStatus.DRAFT,
        organisation_verified=False,
        capacity_status=CapacityStatus.FULL,
    )

    eligibility = check_eligibility(person, hopeless)

    assert not eligibility.passed
    assert [r.rule for r in eligibility.refusals] == [
        Rule.NEEDS,
        Rule.AGE,
        Rule.STATUS,
        Rule.VERIFICATION,
        Rule.CAPACITY,
    ]
