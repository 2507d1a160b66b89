"""Properties that must hold for any person and any services, checked with hypothesis."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import (
    AssessmentFacts,
    CandidateService,
    CapacityStatus,
    CJSStage,
    Constraints,
    DeliveryMode,
    Gender,
    RiskLevel,
    ServiceStatus,
    Term,
    Weights,
    check_eligibility,
    rank,
    score,
    smoothed_mean,
)

NEED_CODES = [
    "accommodation",
    "accommodation.homeless",
    "accommodation.tenancy",
    "finance",
    "finance.debt",
    "health",
    "health.mental",
    "education",
]
AREAS = ["E08000003", "E08000006", "W06000015"]
OFFENCES = ["arson", "sexual", "violence", "domestic_abuse", "drugs"]
ACCESSIBILITY = ["step_free", "hearing_loop", "easy_read"]
LANGUAGES = ["en", "pl", "cy", "so"]


def maybe(strategy):
    return st.none() | strategy


def subsets(values, max_size=None):
    return st.frozensets(st.sampled_from(values), max_size=max_size)


@st.composite
def constraints(draw):
    remote_only, no_remote = draw(st.sampled_from([(False, False), (True, False), (False, True)]))
    return Constraints(
        remote_only=remote_only,
        no_remote=no_remote,
        women_only=draw(st.booleans()),
        no_evenings=draw(st.booleans()),
        max_travel_km=draw(maybe(st.floats(1, 100))),
    )


people = st.builds(
    AssessmentFacts,
    needs=st.dictionaries(st.sampled_from(NEED_CODES), st.integers(0, 3), max_size=5),
    age=maybe(st.integers(10, 90)),
    gender=maybe(st.sampled_from(Gender)),
    cjs_stage=maybe(st.sampled_from(CJSStage)),
    risk_level=maybe(st.sampled_from(RiskLevel)),
    offences=maybe(subsets(OFFENCES)),
    language=maybe(st.sampled_from(LANGUAGES)),
    accessibility_needs=subsets(ACCESSIBILITY, max_size=2),
    point=maybe(st.just((53.48, -2.24))),
    area_codes=subsets(AREAS, max_size=2),
    constraints=constraints(),
)


# Strategies for the service's independent fields, built once: building them inside the
# composite on every draw made each example several times slower.
SERVICE_FIELDS = {
    "service_id": st.integers(1, 10_000),
    "name": st.just("Service"),
    "organisation_name": st.just("Organisation"),
    "need_codes": subsets(NEED_CODES, max_size=3),
    "delivery_modes": subsets(list(DeliveryMode), max_size=3),
    "status": st.sampled_from(ServiceStatus),
    "organisation_verified": st.booleans(),
    "capacity_status": st.sampled_from(CapacityStatus),
    "genders": subsets(list(Gender)),
    "cjs_stages": subsets(list(CJSStage)),
    "risk_levels": subsets(list(RiskLevel)),
    "offence_exclusions": subsets(OFFENCES, max_size=2),
    "languages": subsets(LANGUAGES, max_size=2),
    "interpreter_available": st.booleans(),
    "accessibility": subsets(ACCESSIBILITY),
    "service_area_codes": subsets(AREAS, max_size=2),
    "distance_km": maybe(st.floats(0, 200)),
    "evenings_only": st.booleans(),
    "capacity": maybe(st.integers(0, 50)),
    "places_taken": st.integers(0, 50),
    "waiting_days": maybe(st.integers(0, 365)),
}
MIN_AGES = maybe(st.integers(10, 40))
COUNTS = st.integers(0, 200)
RATING_COUNTS = st.integers(0, 60)


@st.composite
def services(draw):
    """Any service whose figures are consistent (ages ordered, accepted <= received,
    women-only ones accept female people)."""
    independent = {name: draw(strategy) for name, strategy in SERVICE_FIELDS.items()}
    genders = independent["genders"]
    women_only = draw(st.booleans()) and (not genders or Gender.FEMALE in genders)
    min_age = draw(MIN_AGES)
    rating_count = draw(RATING_COUNTS)
    received = draw(COUNTS)
    booked = draw(COUNTS)
    return CandidateService(
        **independent,
        women_only=women_only,
        min_age=min_age,
        max_age=draw(maybe(st.integers(min_age or 10, 90))),
        rating_sum=float(draw(st.integers(rating_count, 5 * rating_count))),
        rating_count=rating_count,
        referrals_received=received,
        referrals_accepted=draw(st.integers(0, received)),
        appointments_booked=booked,
        appointments_attended=draw(st.integers(0, booked)),
    )


unit = st.floats(0, 1)
weights = st.builds(
    Weights,
    need_coverage=st.floats(0.01, 10),
    distance=st.floats(0, 10),
    capacity=st.floats(0, 10),
    rating=st.floats(0, 10),
    acceptance=st.floats(0, 10),
    attendance=st.floats(0, 10),
    partial_need_credit=unit,
    distance_half_km=st.floats(0.5, 100),
    remote_fit=unit,
    unknown_distance_value=unit,
    waiting_list_value=unit,
    waiting_half_days=st.floats(1, 365),
)


# Lists of services cost several times a single one to generate; fewer examples keep the
# unit suite quick while still shuffling and ranking hundreds of services.
fewer_examples = settings(max_examples=40)


@st.composite
def candidate_lists(draw):
    """Services with distinct ids, as the marketplace passes them."""
    candidates = draw(st.lists(services(), max_size=6))
    return [replace(s, service_id=n) for n, s in enumerate(candidates, start=1)]


@given(people, services(), weights)
def test_score_total_and_every_term_lie_between_zero_and_one(facts, service, weights):
    result = score(facts, service, weights)

    assert 0 <= result.total <= 1
    assert all(0 <= term.value <= 1 for term in result.terms)


@given(people, services(), st.sampled_from(NEED_CODES))
def test_meeting_one_more_need_never_lowers_need_coverage(facts, service, extra_code):
    wider = replace(service, need_codes=service.need_codes | {extra_code})

    before = score(facts, service).term(Term.NEED_COVERAGE).value
    after = score(facts, wider).term(Term.NEED_COVERAGE).value

    assert after >= before


@given(people, services(), st.floats(0, 200), st.floats(0, 200))
def test_being_further_away_never_raises_the_distance_value(facts, service, km_a, km_b):
    near, far = sorted((km_a, km_b))

    near_value = score(facts, replace(service, distance_km=near)).term(Term.DISTANCE).value
    far_value = score(facts, replace(service, distance_km=far)).term(Term.DISTANCE).value

    assert far_value <= near_value


@fewer_examples
@given(people, candidate_lists(), st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_the_order_services_are_given_in(facts, candidates, random):
    shuffled = list(candidates)
    random.shuffle(shuffled)

    def order(services):
        return [m.service.service_id for m in rank(facts, services)]

    assert order(shuffled) == order(candidates)


@fewer_examples
@given(people, candidate_lists())
def test_ranking_puts_every_eligible_service_first_best_score_first(facts, candidates):
    matches = rank(facts, candidates)

    assert sorted(m.service.service_id for m in matches) == [s.service_id for s in candidates]
    eligible = [m for m in matches if m.eligible]
    assert matches[: len(eligible)] == eligible
    assert all(m.score is not None and not m.eligibility.refusals for m in eligible)
    assert all(m.score is None and m.eligibility.refusals for m in matches[len(eligible) :])
    totals = [m.score.total for m in eligible if m.score is not None]
    assert totals == sorted(totals, reverse=True)


@given(
    people,
    services(),
    st.sampled_from(["age", "gender", "cjs_stage", "risk_level", "offences", "language", "point"]),
)
def test_forgetting_a_fact_about_the_person_never_adds_a_refusal(facts, service, fact):
    forgotten = replace(facts, **{fact: None})

    known_rules = {r.rule for r in check_eligibility(facts, service).refusals}
    unknown_rules = {r.rule for r in check_eligibility(forgotten, service).refusals}

    assert unknown_rules <= known_rules


@given(st.floats(1, 5), st.floats(0, 100), st.integers(1, 500), st.floats(1, 5))
def test_smoothed_mean_lies_between_the_prior_and_the_observed_mean(
    prior, prior_weight, count, observed_mean
):
    smoothed = smoothed_mean(prior, prior_weight, observed_mean * count, count)

    low, high = sorted((prior, observed_mean))
    assert low - 1e-9 <= smoothed <= high + 1e-9
