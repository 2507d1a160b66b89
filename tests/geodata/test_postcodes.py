"""normalise_postcode and friends: pure functions, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboarding.postcodes import (
    normalise_outward,
    normalise_postcode,
    outward_of,
    postcode_area_of,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  Sw1A   1aA ", "SW1A 1AA"),
        ("sw1a\t1aa\n", "SW1A 1AA"),
        ("SW1A\u00a01AA", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
        ("B1 1BB", "B1 1BB"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("CF10 1EP", "CF10 1EP"),
        ("DN55 1PT", "DN55 1PT"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalise_postcode_accepts_any_case_and_spacing(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "SW1A",
        "SW1A 1A",
        "SW1A 1AAA",
        "1AA SW1A",
        "SW1A-1AA",
        "QA1 1AA",  # Q is never a first letter
        "SJ1 1AA",  # J is never a second letter
        "SW1A 1CA",  # C is never an inward letter
        "ZZ99 9ZZ",
        "GIR 1AA",
        "SW1A 1AA extra",
        "\u017fw1a 1aa",  # long s, which upper-cases to S
        "SW1A 1\uff21\uff21",  # full-width letters
    ],
)
def test_normalise_postcode_rejects_malformed_text(text: str | None) -> None:
    assert normalise_postcode(text) is None


def test_outward_of_gives_the_district() -> None:
    assert outward_of("sw1a 1aa") == "SW1A"
    assert outward_of("M1 1AE") == "M1"


def test_outward_of_raises_for_malformed_postcode() -> None:
    with pytest.raises(ValueError, match="not a UK postcode"):
        outward_of("nonsense")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m1", "M1"),
        (" sw1a ", "SW1A"),
        ("M1 1AE", "M1"),
        ("ec1a1bb", "EC1A"),
        ("M1 1", None),
        ("1M", None),
        ("\u017f1", None),
        ("", None),
    ],
)
def test_normalise_outward_accepts_a_district_or_a_postcode(
    text: str, expected: str | None
) -> None:
    assert normalise_outward(text) == expected


def test_postcode_area_is_the_leading_letters() -> None:
    assert postcode_area_of("SW1A 1AA") == "SW"
    assert postcode_area_of("M1") == "M"
    with pytest.raises(ValueError):
        postcode_area_of("1AA")


# Royal Mail's letters for each position, as the normaliser's patterns encode them.
FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
THIRD = "ABCDEFGHJKPSTUW"
FOURTH = "ABEHMNPRVWXY"
INWARD = "ABDEFGHJLNPQRSTUWXYZ"
digit = st.sampled_from("0123456789")
outwards = st.one_of(
    st.tuples(st.sampled_from(FIRST), digit),
    st.tuples(st.sampled_from(FIRST), digit, digit),
    st.tuples(st.sampled_from(FIRST), st.sampled_from(SECOND), digit),
    st.tuples(st.sampled_from(FIRST), st.sampled_from(SECOND), digit, digit),
    st.tuples(st.sampled_from(FIRST), digit, st.sampled_from(THIRD)),
    st.tuples(st.sampled_from(FIRST), st.sampled_from(SECOND), digit, st.sampled_from(FOURTH)),
).map("".join)
inwards = st.tuples(digit, st.sampled_from(INWARD), st.sampled_from(INWARD)).map("".join)
spacing = st.text(alphabet=" \t\u00a0", max_size=3)


@given(outwards, inwards, spacing, spacing, spacing, st.booleans())
def test_any_well_formed_postcode_normalises_to_one_canonical_form(
    outward: str, inward: str, before: str, middle: str, after: str, lower: bool
) -> None:
    typed = f"{before}{outward}{middle}{inward}{after}"
    normalised = normalise_postcode(typed.lower() if lower else typed)
    assert normalised == f"{outward} {inward}"
    assert outward_of(normalised) == outward


@given(st.text(max_size=12))
def test_normalising_is_idempotent_and_yields_the_stored_shape(text: str) -> None:
    normalised = normalise_postcode(text)
    if normalised is None:
        return
    assert normalise_postcode(normalised) == normalised
    assert len(normalised) <= 8  # fits postcode.postcode varchar(8)
    outward, inward = normalised.split(" ")
    assert normalised == normalised.upper()
    assert 2 <= len(outward) <= 4
    assert len(inward) == 3


@given(outwards, inwards, st.sampled_from("-./,#"))
def test_punctuation_makes_a_postcode_malformed(outward: str, inward: str, mark: str) -> None:
    assert normalise_postcode(f"{outward}{mark}{inward}") is None
