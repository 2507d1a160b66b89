"""``flask import-oruk FILE`` and ``flask export-oruk FILE``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("import-oruk")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--verified", is_flag=True, help="Mark the imported organisations as verified.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def import_oruk(path: Path, verified: bool, quiet: bool) -> None:
    """Import organisations, services and locations from an Open Referral UK JSON file.

    Good rows are imported, each bad row is reported with its place in the file and why;
    a service whose organisation or location is bad is not imported at all.
    """
    from marketplace.jobs import commit
    from onboarding.oruk.importer import import_tables
    from onboarding.oruk.reading import UnreadableFile, read

    started = time.perf_counter()
    try:
        with path.open("rb") as stream:
            tables = read(stream)
    except UnreadableFile as error:
        raise click.ClickException(str(error)) from None
    run = import_tables(
        tables, actor=None, filename=path.name, verified=verified, progress=not quiet
    )
    commit()
    counts = run.imported
    click.echo(
        f"Imported {counts['organisations']} organisations, {counts['services']} services and "
        f"{counts['locations']} locations in {time.perf_counter() - started:.1f}s "
        f"(import {run.id})."
    )
    if counts.get("skipped_existing"):
        click.echo(
            f"{counts['skipped_existing']} services were already imported and were left as they are."
        )
    for problem in run.problems:
        ident = f" (id {problem['id']})" if problem["id"] else ""
        click.echo(
            f"Not imported: {problem['table']}[{problem['index']}]{ident}: {problem['reason']}",
            err=True,
        )
    for term in run.unmapped_terms:
        click.echo(
            f"Unmapped taxonomy term: {term['taxonomy'] or '(no taxonomy)'} {term['code']} "
            f"“{term['name']}” on {term['services']} services",
            err=True,
        )


@click.command("export-oruk")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_oruk(path: Path) -> None:
    """Write the public directory to PATH as Open Referral UK JSON."""
    from onboarding.oruk.exporter import export_directory

    tables = export_directory()
    path.write_text(json.dumps(tables, indent=1, default=str))
    click.echo(f"Exported {len(tables['services'])} services to {path}.")
