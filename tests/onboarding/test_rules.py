"""Pure rules: charity and company numbers, taxonomy mapping, capacity updates, markup."""

from __future__ import annotations

import pytest

from marketplace.directory.models import Service
from marketplace.directory.services import CapacityUpdate
from marketplace.organisations.services import (
    OrganisationError,
    normalise_charity_number,
    normalise_company_number,
)
from marketplace.vocabulary import CapacityStatus
from onboarding.blueprint import lines_html, link_html
from onboarding.oruk.vocabulary import Mapping, Term, map_term

NEEDS = frozenset({"accommodation", "accommodation.homeless", "health.mental_health"})
NAMES = {"homeless or rough sleeping": "accommodation.homeless"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1123456", "1123456"),
        (" 212 345 ", "212345"),
        ("sc012345", "SC012345"),
        ("NIC100001", "NIC100001"),
        ("", None),
    ],
)
def test_charity_numbers_are_normalised(text: str, expected: str | None) -> None:
    assert normalise_charity_number(text) == expected


@pytest.mark.parametrize("text", ["12345", "12345678", "SC12345", "ABC", "1123456-1"])
def test_malformed_charity_numbers_are_refused(text: str) -> None:
    with pytest.raises(OrganisationError) as error:
        normalise_charity_number(text)
    assert error.value.field == "charity_number"


@pytest.mark.parametrize(
    "text,expected", [("1234567", "01234567"), ("sc123456", "SC123456"), ("OC300001", "OC300001")]
)
def test_company_numbers_are_normalised(text: str, expected: str) -> None:
    assert normalise_company_number(text) == expected


def test_malformed_company_number_is_refused() -> None:
    with pytest.raises(OrganisationError):
        normalise_company_number("123456789")


@pytest.mark.parametrize(
    "term,expected",
    [
        (
            Term("1", "accommodation.homeless", "x", "pathways-needs"),
            Mapping(need_code="accommodation.homeless"),
        ),
        (Term("2", "flying", "x", "pathways-needs"), Mapping()),
        (
            Term("3", "female", "Female", "pathways-gender"),
            Mapping(field="genders", value="female"),
        ),
        (Term("4", "martian", "Martian", "pathways-gender"), Mapping()),
        (Term("5", "N-1", "Mental Health", "esd-needs"), Mapping(need_code="health.mental_health")),
        (
            Term("6", "N-2", "Homeless or rough sleeping", "other"),
            Mapping(need_code="accommodation.homeless"),
        ),
        (Term("7", "N-3", "Swimming", "esd-needs"), Mapping()),
    ],
)
def test_taxonomy_terms_map_only_when_sure(term: Term, expected: Mapping) -> None:
    assert map_term(term, NEEDS, NAMES) == expected


def test_places_available_sets_capacity_above_places_taken_and_the_status() -> None:
    service = Service(capacity=10, places_taken=4, waiting_days=9)
    assert CapacityUpdate(1, places_available=0, sent=frozenset()).changes_for(service) == {
        "capacity": 4,
        "capacity_status": CapacityStatus.FULL,
    }
    assert (
        CapacityUpdate(1, places_available=2, sent=frozenset()).changes_for(service)["capacity"]
        == 6
    )


def test_a_capacity_update_changes_only_what_was_sent() -> None:
    service = Service(capacity=10, places_taken=0)
    update = CapacityUpdate(1, waiting_days=3, sent=frozenset({"waiting_days"}))
    assert update.changes_for(service) == {"waiting_days": 3}
    # The web form sends every field: an empty capacity means "no set limit".
    assert CapacityUpdate(1, capacity=None).changes_for(service) == {
        "waiting_days": None,
        "capacity": None,
    }


def test_markup_helpers_escape_what_people_typed() -> None:
    assert str(link_html("/x", "<b>Org</b>", "for <i>")) == (
        '<a class="govuk-link" href="/x">&lt;b&gt;Org&lt;/b&gt;'
        '<span class="govuk-visually-hidden"> for &lt;i&gt;</span></a>'
    )
    assert str(lines_html(["a&b", None, "<c>"])) == "a&amp;b<br>&lt;c&gt;"
