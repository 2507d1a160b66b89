"""What "meets a need" means between need categories and sub-needs."""

import pytest

from matching import Coverage, coverage, needs_met


@pytest.mark.parametrize(
    ("need", "service_codes", "expected"),
    [
        ("accommodation", {"accommodation"}, Coverage.FULL),
        ("accommodation.homeless", {"accommodation"}, Coverage.FULL),
        ("accommodation.homeless", {"accommodation.homeless"}, Coverage.FULL),
        ("accommodation", {"accommodation.homeless"}, Coverage.PARTIAL),
        ("accommodation.homeless", {"accommodation.tenancy"}, Coverage.NONE),
        ("accommodation", {"finance"}, Coverage.NONE),
        ("accommodation", set(), Coverage.NONE),
    ],
)
def test_coverage_of_one_need(need, service_codes, expected):
    assert coverage(need, service_codes) is expected


def test_a_code_that_only_starts_with_the_same_letters_is_not_a_sub_need():
    assert coverage("health", {"healthcare"}) is Coverage.NONE
    assert coverage("healthcare.dental", {"health"}) is Coverage.NONE


def test_full_coverage_wins_over_partial_when_the_service_lists_both():
    assert coverage("accommodation", {"accommodation.homeless", "accommodation"}) is Coverage.FULL


def test_needs_met_lists_only_the_needs_met_with_how():
    met = needs_met(
        ["accommodation", "finance", "health.mental"],
        {"accommodation.homeless", "health"},
    )

    assert met == {"accommodation": Coverage.PARTIAL, "health.mental": Coverage.FULL}
