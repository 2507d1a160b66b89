"""The score terms, their explanations, and the order of matches on hand-made cases."""

from dataclasses import replace

import pytest

from matching import (
    CapacityStatus,
    Constraints,
    DeliveryMode,
    EligibilityPolicy,
    Priors,
    Rule,
    ServiceStatus,
    Term,
    Weights,
    explain,
    rank,
    score,
    smoothed_mean,
)

REMOTE = frozenset({DeliveryMode.REMOTE})
REMOTE_AND_IN_PERSON = frozenset({DeliveryMode.REMOTE, DeliveryMode.IN_PERSON})


def term_of(facts, service, name, weights=None):
    return score(facts, service, weights or Weights()).term(name)


def ids(matches):
    return [match.service.service_id for match in matches]


# Need coverage


def test_need_coverage_weights_each_need_by_its_severity(person, service):
    finance_only = replace(service, need_codes=frozenset({"finance"}))

    # person: accommodation 3, finance 1
    assert term_of(person, service, Term.NEED_COVERAGE).value == pytest.approx(3 / 4)
    assert term_of(person, finance_only, Term.NEED_COVERAGE).value == pytest.approx(1 / 4)


def test_need_met_only_in_part_earns_the_partial_credit(person, service):
    homeless = replace(service, need_codes=frozenset({"accommodation.homeless"}))
    no_credit = Weights(partial_need_credit=0.0)

    assert term_of(person, homeless, Term.NEED_COVERAGE).value == pytest.approx(1.5 / 4)
    assert term_of(person, homeless, Term.NEED_COVERAGE, no_credit).value == 0.0


@pytest.mark.parametrize(
    ("needs", "service_codes", "explanation"),
    [
        (
            {"accommodation": 3, "health.mental": 3, "finance": 3},
            {"accommodation", "finance"},
            "Covers 2 of 3 high needs",
        ),
        (
            {"accommodation": 3, "health.mental": 3, "finance": 1},
            {"accommodation.homeless", "finance"},
            "Covers 1 of 2 high needs (1 in part) and 1 of 1 other need",
        ),
        ({"finance": 1, "education": 2}, {"education"}, "Covers 1 of 2 needs"),
    ],
)
def test_need_coverage_explanation(person, service, needs, service_codes, explanation):
    facts = replace(person, needs=needs)
    covering = replace(service, need_codes=frozenset(service_codes))

    assert term_of(facts, covering, Term.NEED_COVERAGE).explanation == explanation


# Distance


@pytest.mark.parametrize(("km", "value"), [(0.0, 1.0), (10.0, 0.5), (20.0, 0.25)])
def test_distance_value_halves_every_half_distance(person, service, km, value):
    assert term_of(person, replace(service, distance_km=km), Term.DISTANCE).value == value


def test_half_distance_is_configurable(person, service):
    shorter = Weights(distance_half_km=5.0)

    assert term_of(person, replace(service, distance_km=10.0), Term.DISTANCE, shorter).value == 0.25


def test_distance_is_explained_in_miles(person, service):
    assert term_of(person, replace(service, distance_km=1.931), Term.DISTANCE).explanation == (
        "1.2 miles"
    )


def test_remote_service_scores_full_distance_value_for_a_remote_only_person(person, service):
    remote_only = replace(person, constraints=Constraints(remote_only=True))
    remote = replace(service, delivery_modes=REMOTE, distance_km=None)

    term = term_of(remote_only, remote, Term.DISTANCE)

    assert (term.value, term.explanation) == (1.0, "remote")


def test_remote_fit_replaces_a_long_distance_for_a_person_who_can_use_remote(person, service):
    far = replace(service, delivery_modes=REMOTE_AND_IN_PERSON, distance_km=50.0)

    term = term_of(person, far, Term.DISTANCE)

    assert (term.value, term.explanation) == (0.75, "remote, or 31.1 miles")


def test_nearby_in_person_beats_remote_fit_when_both_are_offered(person, service):
    near = replace(service, delivery_modes=REMOTE_AND_IN_PERSON, distance_km=1.0)

    term = term_of(person, near, Term.DISTANCE)

    assert term.value == pytest.approx(0.5**0.1)
    assert term.explanation == "0.6 miles, or remote"


def test_remote_is_ignored_for_a_person_who_cannot_use_it(person, service):
    offline = replace(person, constraints=Constraints(no_remote=True))
    far = replace(service, delivery_modes=REMOTE_AND_IN_PERSON, distance_km=20.0)

    assert term_of(offline, far, Term.DISTANCE).value == 0.25


def test_outreach_in_the_persons_area_scores_as_if_on_the_doorstep(person, service):
    outreach = replace(service, delivery_modes=frozenset({DeliveryMode.OUTREACH}), distance_km=30.0)

    term = term_of(person, outreach, Term.DISTANCE)

    assert (term.value, term.explanation) == (1.0, "outreach in this area")


def test_outreach_outside_the_persons_area_is_scored_on_distance(person, service):
    elsewhere = replace(
        service,
        delivery_modes=frozenset({DeliveryMode.OUTREACH}),
        service_area_codes=frozenset({"E08000006"}),
        distance_km=10.0,
    )

    term = term_of(person, elsewhere, Term.DISTANCE)

    assert (term.value, term.explanation) == (0.5, "6.2 miles")


def test_unknown_distance_scores_the_neutral_value(person, service):
    term = term_of(replace(person, point=None), replace(service, distance_km=None), Term.DISTANCE)

    assert (term.value, term.explanation) == (0.5, "distance unknown")


# Capacity and waiting time


@pytest.mark.parametrize(
    ("changes", "value", "explanation"),
    [
        ({}, 1.0, "places available"),
        ({"capacity": 10, "places_taken": 7}, 1.0, "3 places available"),
        ({"capacity": 1, "places_taken": 0}, 1.0, "1 place available"),
        ({"waiting_days": 28}, 0.5, "places available, first appointment in about 4 weeks"),
        (
            {"capacity_status": CapacityStatus.WAITING_LIST, "waiting_days": 0},
            0.5,
            "waiting list, 0 days",
        ),
        (
            {"capacity_status": CapacityStatus.WAITING_LIST, "waiting_days": 28},
            0.25,
            "waiting list, about 4 weeks",
        ),
        (
            {"capacity_status": CapacityStatus.WAITING_LIST, "waiting_days": None},
            0.25,
            "waiting list, wait not given",
        ),
        ({"capacity_status": CapacityStatus.FULL}, 0.0, "full"),
    ],
)
def test_capacity_term(person, service, changes, value, explanation):
    term = term_of(person, replace(service, **changes), Term.CAPACITY)

    assert (term.value, term.explanation) == (value, explanation)


# Track record, smoothed


def test_smoothed_mean_is_the_bayesian_average():
    assert smoothed_mean(4.0, 10, 184.0, 40) == pytest.approx((40 + 184) / 50)
    assert smoothed_mean(4.0, 10, 0.0, 0) == 4.0
    assert smoothed_mean(4.0, 0, 0.0, 0) == 4.0
    assert smoothed_mean(4.0, 0, 9.0, 2) == 4.5


def test_rating_term_maps_the_smoothed_rating_onto_zero_to_one(person, service):
    rated = replace(service, rating_sum=184.0, rating_count=40)

    term = term_of(person, rated, Term.RATING)

    assert term.value == pytest.approx(((40 + 184) / 50 - 1) / 4)
    assert term.explanation == "rated 4.6 from 40 ratings"


def test_new_service_scores_exactly_like_one_whose_record_matches_the_platform(person, service):
    priors = Priors()
    average = replace(
        service,
        rating_sum=priors.rating_mean * 20,
        rating_count=20,
        referrals_received=20,
        referrals_accepted=15,  # 0.75, the prior acceptance rate
        appointments_booked=20,
        appointments_attended=14,  # 0.70, the prior attendance rate
    )

    new_score = score(person, service, priors=priors)
    average_score = score(person, average, priors=priors)

    for name in (Term.RATING, Term.ACCEPTANCE, Term.ATTENDANCE):
        assert new_score.term(name).value == pytest.approx(average_score.term(name).value)
    assert new_score.total == pytest.approx(average_score.total)


def test_new_service_is_explained_as_having_no_record_yet(person, service):
    terms = score(person, service).terms

    assert [t.explanation for t in terms[3:]] == [
        "not yet rated",
        "no referrals yet",
        "no appointments yet",
    ]


def test_acceptance_and_attendance_are_smoothed_toward_the_priors(person, service):
    record = replace(
        service,
        referrals_received=2,
        referrals_accepted=0,
        appointments_booked=2,
        appointments_attended=2,
    )
    priors = Priors(acceptance_rate=0.8, attendance_rate=0.6, attendance_weight=2.0)

    result = score(person, record, priors=priors)

    assert result.term(Term.ACCEPTANCE).value == pytest.approx(8 / 12)
    assert result.term(Term.ACCEPTANCE).explanation == "accepts 0% of 2 referrals"
    assert result.term(Term.ATTENDANCE).value == pytest.approx((1.2 + 2) / 4)
    assert result.term(Term.ATTENDANCE).explanation == "100% of 2 appointments attended"


# Total and explanation


def test_total_is_the_weighted_mean_of_the_term_values(person, service):
    result = score(person, service)

    expected = sum(t.value * t.weight for t in result.terms) / sum(t.weight for t in result.terms)
    assert result.total == pytest.approx(expected)
    assert [t.name for t in result.terms] == list(Term)


def test_a_term_with_all_the_weight_is_the_whole_total(person, service):
    needs_only = Weights(distance=0, capacity=0, rating=0, acceptance=0, attendance=0)

    assert score(person, service, needs_only).total == pytest.approx(0.75)


def test_explanation_is_one_line_of_every_weighted_term(person, service):
    established = replace(
        service,
        distance_km=1.931,
        rating_sum=4.5 * 38,
        rating_count=38,
        referrals_received=50,
        referrals_accepted=40,
        appointments_booked=40,
        appointments_attended=34,
    )
    high_needs_only = replace(person, needs={"accommodation": 3})

    assert explain(score(high_needs_only, established)) == (
        "Covers 1 of 1 high need · 1.2 miles · places available · rated 4.5 from 38 ratings"
        " · accepts 80% of 50 referrals · 85% of 40 appointments attended"
    )


def test_explanation_leaves_out_terms_that_carry_no_weight(person, service):
    no_track_record = Weights(rating=0, acceptance=0, attendance=0)

    assert explain(score(person, service, no_track_record)) == (
        "Covers 1 of 1 high need and 0 of 1 other need · 1.2 miles · places available"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"need_coverage": -0.1},
        {
            "need_coverage": 0,
            "distance": 0,
            "capacity": 0,
            "rating": 0,
            "acceptance": 0,
            "attendance": 0,
        },
        {"partial_need_credit": 1.5},
        {"remote_fit": -0.1},
        {"distance_half_km": 0},
        {"waiting_half_days": -1},
    ],
)
def test_weights_reject_settings_that_would_break_the_score(changes):
    with pytest.raises(ValueError):
        Weights(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"rating_mean": 0.5},
        {"acceptance_rate": 1.2},
        {"attendance_rate": -0.1},
        {"rating_weight": -1},
    ],
)
def test_priors_reject_impossible_figures(changes):
    with pytest.raises(ValueError):
        Priors(**changes)


# Ordering


def test_forty_good_ratings_beat_one_perfect_rating(person, service):
    one_perfect = replace(service, service_id=1, rating_sum=5.0, rating_count=1)
    forty_good = replace(service, service_id=2, rating_sum=184.0, rating_count=40)

    assert ids(rank(person, [one_perfect, forty_good])) == [2, 1]


def test_further_service_meeting_all_high_needs_beats_nearby_one_meeting_a_minor_need(
    person, service
):
    facts = replace(person, needs={"accommodation": 3, "health.mental": 3, "finance": 1})
    nearby_minor = replace(
        service, service_id=1, need_codes=frozenset({"finance"}), distance_km=0.5
    )
    further_all_high = replace(
        service, service_id=2, need_codes=frozenset({"accommodation", "health"}), distance_km=15.0
    )

    assert ids(rank(facts, [nearby_minor, further_all_high])) == [2, 1]


def test_remote_only_person_gets_the_remote_service_and_the_nearby_one_is_refused(person, service):
    remote_only = replace(person, constraints=Constraints(remote_only=True))
    nearby_in_person = replace(service, service_id=1, distance_km=0.3)
    remote_far_away = replace(
        service,
        service_id=2,
        delivery_modes=REMOTE,
        service_area_codes=frozenset({"W06000015"}),
        distance_km=None,
    )

    matches = rank(remote_only, [nearby_in_person, remote_far_away])

    assert ids(matches) == [2, 1]
    assert [m.eligible for m in matches] == [True, False]
    assert [r.rule for r in matches[1].eligibility.refusals] == [Rule.REMOTE]


def test_nearby_in_person_beats_remote_for_a_person_who_can_travel(person, service):
    nearby = replace(service, service_id=1, distance_km=1.0)
    remote = replace(service, service_id=2, delivery_modes=REMOTE, distance_km=None)

    assert ids(rank(person, [remote, nearby])) == [1, 2]


def test_waiting_list_ranks_below_places_available(person, service):
    waiting = replace(
        service, service_id=1, capacity_status=CapacityStatus.WAITING_LIST, waiting_days=7
    )
    available = replace(service, service_id=2)

    matches = rank(person, [waiting, available])

    assert ids(matches) == [2, 1]
    assert all(m.eligible for m in matches)


def test_equal_scores_are_ordered_by_service_id_whatever_the_input_order(person, service):
    twins = [replace(service, service_id=n) for n in (7, 3, 5)]

    assert ids(rank(person, twins)) == [3, 5, 7]
    assert ids(rank(person, list(reversed(twins)))) == [3, 5, 7]


def test_equal_scores_are_ordered_by_distance_before_service_id(person, service):
    distance_ignored = Weights(distance=0)
    far = replace(service, service_id=1, distance_km=9.0)
    near = replace(service, service_id=2, distance_km=3.0)
    unknown = replace(service, service_id=0, distance_km=None)

    assert ids(rank(person, [unknown, far, near], distance_ignored)) == [2, 1, 0]


def test_refused_services_follow_the_eligible_ones_fewest_refusals_first(person, service):
    draft = replace(service, service_id=1, status=ServiceStatus.DRAFT)
    draft_unverified = replace(
        service, service_id=2, status=ServiceStatus.DRAFT, organisation_verified=False
    )
    eligible = replace(service, service_id=3, distance_km=20.0)

    matches = rank(person, [draft_unverified, draft, eligible])

    assert ids(matches) == [3, 1, 2]
    assert matches[0].score is not None
    assert [m.score for m in matches[1:]] == [None, None]
    assert [len(m.eligibility.refusals) for m in matches[1:]] == [1, 2]


def test_rank_applies_the_eligibility_policy(person, service):
    at_30_km = replace(service, service_area_codes=frozenset(), distance_km=30.0)

    assert not rank(person, [at_30_km])[0].eligible
    assert rank(person, [at_30_km], policy=EligibilityPolicy(default_max_travel_km=40.0))[
        0
    ].eligible
