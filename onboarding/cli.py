"""``flask geodata load`` and ``flask geodata status``.

Wire into the application with ``onboarding.cli.register(app)``.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

geodata = AppGroup("geodata", help="UK postcodes and areas (offline, from PyPI packages).")


def register(app: Flask) -> None:
    """Add the ``geodata`` command group to ``app``'s CLI."""
    app.cli.add_command(geodata)


def _postcode_areas(
    context: click.Context, parameter: click.Parameter, value: str | None
) -> set[str] | None:
    if not value:
        return None
    return {area.strip().upper() for area in value.split(",") if area.strip()}


@geodata.command("load")
@click.option("--force", is_flag=True, help="Reload even if the data is already loaded.")
@click.option("--with-lsoa", is_flag=True, help="Also store the 34,753 LSOAs as areas.")
@click.option(
    "--postcode-areas",
    callback=_postcode_areas,
    metavar="SW,M,B",
    help="Load only these postcode areas, replacing what is loaded (default: all of GB).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def load(force: bool, with_lsoa: bool, postcode_areas: set[str] | None, quiet: bool) -> None:
    """Load OS Code-Point Open postcodes, then local authorities, police force areas and
    regions (idempotent)."""
    from onboarding.code_point import CodePointError
    from onboarding.geodata import load_geodata
    from onboarding.packaged_data import PackagedDataError

    try:
        postcodes, areas = load_geodata(
            force=force, with_lsoa=with_lsoa, postcode_areas=postcode_areas, progress=not quiet
        )
    except (CodePointError, PackagedDataError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(postcodes.describe())
    click.echo(areas.describe())


@geodata.command("status")
def status() -> None:
    """Show how many postcodes and areas are loaded."""
    from onboarding.geodata import geodata_status

    click.echo(geodata_status().describe())


@geodata.command("check-register")
def check_register() -> None:
    """Compare onboarding/data/local_authorities.csv with the loaded postcodes (about
    half a minute for all of Great Britain; writes nothing)."""
    from onboarding.area_register import area_register
    from onboarding.geodata import loader_connection
    from onboarding.lsoa_boundaries import read_lsoas
    from onboarding.register_check import check_register as check
    from onboarding.register_check import district_majorities

    with loader_connection() as connection:
        majorities = district_majorities(connection, read_lsoas())
        connection.rollback()
    outcome = check(majorities, area_register())
    click.echo(outcome.describe())
    if outcome.problems:
        raise SystemExit(1)
