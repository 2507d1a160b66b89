"""``flask geodata load`` and ``flask geodata status`` through the app's CLI."""

from __future__ import annotations

import pytest
from flask import Flask

from tests import database


def test_status_reports_what_is_loaded(geodata_app: Flask) -> None:
    result = geodata_app.test_cli_runner().invoke(args=["geodata", "status"])
    assert result.exit_code == 0, result.output
    assert "Postcodes: " in result.output
    assert "318 local_authority" in result.output
    assert "43 police_force_area" in result.output
    assert "not in the register" not in result.output


def test_load_of_what_is_loaded_does_nothing(geodata_app: Flask) -> None:
    areas = ",".join(sorted(database.TEST_POSTCODE_AREAS)).lower()
    args = ["geodata", "load", "--postcode-areas", areas, "--quiet"]
    # The first run may refresh the slice (other tests load and roll back); the second
    # must find everything in place and do nothing.
    first = geodata_app.test_cli_runner().invoke(args=args)
    assert first.exit_code == 0, first.output
    result = geodata_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Postcodes already loaded" in result.output
    assert "Areas already loaded" in result.output


def test_load_of_an_unknown_postcode_area_fails_with_a_message(geodata_app: Flask) -> None:
    result = geodata_app.test_cli_runner().invoke(
        args=["geodata", "load", "--postcode-areas", "XX", "--quiet"]
    )
    assert result.exit_code == 1
    assert "Code-Point Open has no postcodes for area(s) XX" in result.output


def test_load_help_lists_the_options(geodata_app: Flask) -> None:
    result = geodata_app.test_cli_runner().invoke(args=["geodata", "load", "--help"])
    assert result.exit_code == 0
    for option in ("--force", "--with-lsoa", "--postcode-areas"):
        assert option in result.output


@pytest.mark.slow
def test_check_register_agrees_on_the_loaded_slice(geodata_app: Flask) -> None:
    result = geodata_app.test_cli_runner().invoke(args=["geodata", "check-register"])
    assert result.exit_code == 0, result.output
    assert "The register agrees with the postcodes." in result.output
