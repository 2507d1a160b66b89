"""``flask seed-taxonomy``, ``flask seed-demo`` and ``flask seed-scale``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.jobs import commit


@click.command("seed-taxonomy")
@with_appcontext
def seed_taxonomy() -> None:
    """Load the needs taxonomy (idempotent)."""
    from marketplace.taxonomy.services import seed_needs

    count = seed_needs()
    commit()
    click.echo(f"{count} needs loaded.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the small demo data set and print the demo logins (idempotent)."""
    from marketplace.seeding.demo import DEMO_PASSWORD, build_demo

    logins = build_demo()
    commit()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:<22} {email}")


@click.command("seed-scale")
@click.option("--organisations", default=1700, show_default=True)
@click.option("--services", default=10000, show_default=True)
@click.option("--locations", default=15000, show_default=True)
@click.option("--seed", default=42, show_default=True, help="Random seed, for repeatable data.")
@with_appcontext
def seed_scale(organisations: int, services: int, locations: int, seed: int) -> None:
    """Generate the scale data set from DESIGN.md (adds to whatever is there)."""
    from marketplace.seeding.scale import build_scale

    summary = build_scale(
        organisations=organisations, services=services, locations=locations, seed=seed
    )
    commit()
    analyse()
    click.echo(summary)


def analyse() -> None:
    """Refresh the planner's statistics after a bulk load. After the commit, because the
    search rows are written by a deferred trigger at commit: analysed any earlier,
    service_search looks empty and the planner picks nested loops that are 100 x slower
    (seen: a matches page at 1 s). Autovacuum would get there too, but it may be off."""
    from sqlalchemy import text

    from marketplace.extensions import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
