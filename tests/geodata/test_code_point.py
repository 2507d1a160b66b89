"""The packaged OS Code-Point Open archive, read without a database."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

import pytest

from onboarding import code_point
from onboarding.code_point import CodePointError
from onboarding.postcodes import normalise_postcode, postcode_area_of

# A Code-Point row whose postcode is already in normalised shape: outward, inward.
ROW = re.compile(r'^"([A-Z0-9]{2,4}) ([0-9][A-Z]{2})",[0-9]+,', re.MULTILINE)
NO_COORDINATES_ROW = re.compile(r'^"[^"\n]*",90,', re.MULTILINE)


@pytest.fixture(scope="module")
def archive() -> Iterator[zipfile.ZipFile]:
    with zipfile.ZipFile(code_point.archive_path()) as opened:
        yield opened


def test_archive_has_one_file_per_postcode_area(archive: zipfile.ZipFile) -> None:
    files = code_point.area_files(archive)
    assert len(files) == 120
    assert [f.postcode_area for f in code_point.area_files(archive, {"sw", " M "})] == ["M", "SW"]


def test_unknown_postcode_area_is_refused_by_name(archive: zipfile.ZipFile) -> None:
    with pytest.raises(CodePointError, match="BT, XX"):
        code_point.area_files(archive, {"SW", "XX", "BT"})


@pytest.mark.slow
def test_every_code_point_postcode_is_well_formed_and_already_normalised(
    archive: zipfile.ZipFile,
) -> None:
    """The normaliser accepts all 1.7 million real postcodes unchanged.

    Its pattern is an outward pattern followed by an inward pattern, so checking every
    distinct outward code and every distinct inward code that occurs (each completed
    with a known-good other half) covers every real postcode, in a fraction of the time.
    Also: each file holds only its own area, and the byte count of rows with
    coordinates agrees with a parse. About 8 s: it reads all of Great Britain.
    """
    outwards: set[str] = set()
    inwards: set[str] = set()
    without_coordinates = 0
    lines = 0
    for file in code_point.area_files(archive):
        text = archive.read(file.member).decode("ascii")
        rows = ROW.findall(text)
        lines += text.count("\n")
        assert len(rows) == text.count("\n"), f"{file.member} has a row of another shape"
        outwards.update(outward for outward, _ in rows)
        inwards.update(inward for _, inward in rows)
        without_coordinates += len(NO_COORDINATES_ROW.findall(text))
        areas = {postcode_area_of(outward) for outward in {o for o, _ in rows}}
        assert areas == {file.postcode_area}
    assert [o for o in sorted(outwards) if normalise_postcode(f"{o} 1AA") != f"{o} 1AA"] == []
    assert [i for i in sorted(inwards) if normalise_postcode(f"M1 {i}") != f"M1 {i}"] == []
    files = code_point.area_files(archive)
    with_coordinates = code_point.count_postcodes_with_coordinates(archive, files)
    assert with_coordinates == lines - without_coordinates
    assert with_coordinates > 1_700_000
    assert len(outwards) > 2_800
