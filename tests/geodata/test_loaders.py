"""The postcode and area loaders, run in transactions that are rolled back."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask

from onboarding import code_point
from onboarding.area_loader import load_areas
from onboarding.area_register import (
    AreaRegister,
    LocalAuthority,
    PoliceForceArea,
    Region,
    area_register,
)
from onboarding.code_point import CodePointError
from onboarding.lsoa_boundaries import Lsoa
from onboarding.postcode_loader import load_postcodes
from onboarding.register_check import DistrictMajority, check_register, district_majorities

from .conftest import TEST_POSTCODE_AREAS


@pytest.fixture
def london_lsoas(lsoas: list[Lsoa]) -> list[Lsoa]:
    """The LSOAs of Westminster and the City of London."""
    return [lsoa for lsoa in lsoas if lsoa.district_name in {"Westminster", "City of London"}]


@pytest.fixture
def autocommit_connection(loader_connection: psycopg.Connection) -> Iterator[psycopg.Connection]:
    loader_connection.autocommit = True
    yield loader_connection
    loader_connection.autocommit = False


def test_loading_the_loaded_postcodes_again_does_nothing(
    loader_connection: psycopg.Connection,
) -> None:
    result = load_postcodes(loader_connection, postcode_areas=TEST_POSTCODE_AREAS, progress=False)
    assert result.skipped
    assert result.postcodes == _count(loader_connection, "postcode")
    assert "already loaded" in result.describe()


def test_forced_load_replaces_the_postcodes_with_the_selection(
    loader_connection: psycopg.Connection,
) -> None:
    with zipfile.ZipFile(code_point.archive_path()) as archive:
        expected = code_point.count_postcodes_with_coordinates(
            archive, code_point.area_files(archive, {"EC"})
        )
    result = load_postcodes(loader_connection, postcode_areas={"ec"}, force=True, progress=False)
    assert not result.skipped
    assert result.postcodes == expected == _count(loader_connection, "postcode")
    outwards = loader_connection.execute(
        "SELECT count(*), sum(postcode_count), bool_and(outward LIKE 'EC%') FROM outward_code"
    ).fetchone()
    assert outwards == (result.outward_codes, expected, True)
    staging = loader_connection.execute("SELECT to_regclass('postcode_staging')").fetchone()
    assert staging == (None,)


def test_outward_code_counts_add_up_to_the_postcodes(loader_connection: psycopg.Connection) -> None:
    row = loader_connection.execute(
        "SELECT (SELECT sum(postcode_count) FROM outward_code), (SELECT count(*) FROM postcode)"
    ).fetchone()
    assert row is not None and row[0] == row[1]


def test_unknown_postcode_area_is_refused(loader_connection: psycopg.Connection) -> None:
    with pytest.raises(CodePointError, match="XX"):
        load_postcodes(loader_connection, postcode_areas={"XX"}, progress=False)


def test_loaders_refuse_an_autocommit_connection(
    autocommit_connection: psycopg.Connection,
) -> None:
    with pytest.raises(ValueError, match="autocommit"):
        load_postcodes(autocommit_connection, postcode_areas={"EC"}, progress=False)
    with pytest.raises(ValueError, match="autocommit"):
        load_areas(autocommit_connection)


def test_loading_the_loaded_areas_again_does_nothing(
    loader_connection: psycopg.Connection,
) -> None:
    result = load_areas(loader_connection)
    assert result.skipped
    assert result.counts == {"region": 10, "police_force_area": 43, "local_authority": 318}


def test_every_area_in_the_register_has_a_boundary_and_a_centroid_inside_it(
    geodata_app: Flask, loader_connection: psycopg.Connection
) -> None:
    rows = loader_connection.execute(
        "SELECT kind, count(*), count(boundary), "
        "count(*) FILTER (WHERE ST_Covers(boundary, centroid::geometry)), "
        "count(*) FILTER (WHERE ST_IsValid(boundary)) "
        "FROM area WHERE kind <> 'lsoa' GROUP BY kind ORDER BY kind"
    ).fetchall()
    assert rows == [
        ("local_authority", 318, 318, 318, 318),
        ("police_force_area", 43, 43, 43, 43),
        ("region", 10, 10, 10, 10),
    ]


def test_areas_nest_local_authority_in_force_in_region(
    loader_connection: psycopg.Connection,
) -> None:
    row = loader_connection.execute(
        "SELECT la.name, force.name, region.name FROM area la "
        "JOIN area force ON force.id = la.parent_id "
        "JOIN area region ON region.id = force.parent_id WHERE la.code = 'E09000033'"
    ).fetchone()
    assert row == ("Westminster", "Metropolitan Police", "London")


def test_postcodes_fall_inside_their_own_local_authority(
    loader_connection: psycopg.Connection,
) -> None:
    """The dissolved boundaries agree with Code-Point's own district for the postcodes
    (every 50th of the test slice); the rest are near a boundary or the shore."""
    row = loader_connection.execute(
        """
        WITH sample AS (
            SELECT postcode, point, local_authority_code FROM (
                SELECT *, row_number() OVER (ORDER BY postcode) AS n FROM postcode
                WHERE local_authority_code ~ '^[EW]'
            ) numbered WHERE n % 50 = 0
        )
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM area WHERE kind = 'local_authority'
            AND code = sample.local_authority_code
            AND ST_Covers(boundary, sample.point::geometry)))
        FROM sample
        """
    ).fetchone()
    assert row is not None
    total, inside = row
    assert total > 2_000
    assert inside / total > 0.99


def test_lsoas_outside_the_register_are_reported_and_parents_left_without_a_boundary(
    loader_connection: psycopg.Connection, london_lsoas: list[Lsoa]
) -> None:
    """Never guessed: the City of London's LSOAs are reported, Camden (no LSOAs given)
    has no boundary, and so neither have the Metropolitan Police and London, rather
    than being drawn smaller than they are."""
    register = AreaRegister(
        regions={"E12000007": Region("E12000007", "London")},
        police_force_areas={
            "E23000001": PoliceForceArea("E23000001", "Metropolitan Police", "E12000007")
        },
        local_authorities={
            "E09000033": LocalAuthority("E09000033", "Westminster", "E23000001", ("Westminster",)),
            "E09000007": LocalAuthority("E09000007", "Camden", "E23000001", ("Camden",)),
        },
    )
    result = load_areas(
        loader_connection, with_lsoa=True, force=True, register=register, lsoas=london_lsoas
    )
    assert result.unplaced_districts == {"City of London": 6}
    assert result.areas_without_boundary == ("E09000007", "E12000007", "E23000001")
    assert "E08000003" in result.stale_areas and "E09000033" not in result.stale_areas
    westminster_lsoas = sum(1 for lsoa in london_lsoas if lsoa.district_name == "Westminster")
    assert result.counts == {
        "region": 1,
        "police_force_area": 1,
        "local_authority": 2,
        "lsoa": westminster_lsoas,
    }
    assert "City of London (6 LSOAs)" in result.describe()
    parent = loader_connection.execute(
        "SELECT parent.code FROM area JOIN area parent ON parent.id = area.parent_id "
        "WHERE area.code = %s",
        (next(lsoa.code for lsoa in london_lsoas if lsoa.district_name == "Westminster"),),
    ).fetchone()
    assert parent == ("E09000033",)


def test_area_ids_survive_a_reload(
    loader_connection: psycopg.Connection, london_lsoas: list[Lsoa]
) -> None:
    """Areas are upserted by code, so rows that refer to an area keep pointing at it."""
    codes = ["E12000007", "E23000001", "E09000033"]
    query = "SELECT code, id FROM area WHERE code = ANY(%s) ORDER BY code"
    before = loader_connection.execute(query, (codes,)).fetchall()
    register = AreaRegister(
        regions={"E12000007": Region("E12000007", "London")},
        police_force_areas={
            "E23000001": PoliceForceArea("E23000001", "Metropolitan Police", "E12000007")
        },
        local_authorities={
            "E09000033": LocalAuthority("E09000033", "Westminster", "E23000001", ("Westminster",))
        },
    )
    load_areas(loader_connection, force=True, register=register, lsoas=london_lsoas)
    assert loader_connection.execute(query, (codes,)).fetchall() == before
    assert len(before) == 3


def _count(connection: psycopg.Connection, table: str) -> int:
    row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_register_agrees_with_the_majority_of_postcodes_in_each_district(
    loader_connection: psycopg.Connection, lsoas: list[Lsoa]
) -> None:
    """How the register's codes were derived, re-run on the test slice: every district
    with enough loaded postcodes is where most of its postcodes say it is."""
    majorities = district_majorities(loader_connection, lsoas)
    outcome = check_register(majorities, area_register())
    assert outcome.problems == ()
    assert outcome.districts_checked >= 40
    by_name = {majority.district_name: majority for majority in majorities}
    assert by_name["Westminster"].local_authority_code == "E09000033"
    assert by_name["Westminster"].share > 0.95


def test_register_check_reports_a_district_placed_in_the_wrong_authority() -> None:
    majorities = [DistrictMajority("Westminster", "E09000033", 5_000, 0.99)]
    register = area_register()
    wrong = AreaRegister(
        register.regions,
        register.police_force_areas,
        {
            **register.local_authorities,
            "E09000033": LocalAuthority("E09000033", "Westminster", "E23000001", ()),
            "E09000007": LocalAuthority(
                "E09000007", "Camden", "E23000001", ("Camden", "Westminster")
            ),
        },
    )
    outcome = check_register(majorities, wrong)
    assert outcome.problems == (
        "Westminster: register says E09000007, its postcodes say E09000033 (99.0%)",
    )
