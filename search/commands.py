"""``flask search ...``: full reindex and draining the index outbox."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("search")
def search_commands() -> None:
    """The search index."""


@search_commands.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the Elasticsearch index from the database and swap the alias to it."""
    from marketplace.jobs import redis_connection
    from search.elastic.client import SearchUnavailable
    from search.elastic.indexing import ReindexInProgress, reindex

    if not current_app.config.get("ELASTICSEARCH_URL"):
        raise click.ClickException(
            "ELASTICSEARCH_URL is not set: PostgreSQL search reads live tables and needs no index."
        )
    redis = redis_connection()
    if redis is None:
        raise click.ClickException(
            "REDIS_URL is not set: a reindex takes a Redis lock so that two never run at once."
        )
    try:
        report = reindex(redis)
    except ReindexInProgress as error:
        raise click.ClickException(str(error)) from error
    except SearchUnavailable as error:
        raise click.ClickException(f"Elasticsearch did not answer: {error}") from error
    click.echo(
        f"Indexed {report.documents} services into {report.index} in {report.seconds:.1f} s; "
        f"alias now points at it (replaced: {', '.join(report.replaced) or 'none'}; "
        f"{report.caught_up} changes made meanwhile re-applied)."
    )


@search_commands.command("drain")
@with_appcontext
def drain_command() -> None:
    """Apply every pending index update (after Redis or Elasticsearch was down)."""
    from search.jobs import drain_index_outbox

    click.echo(f"Processed {drain_index_outbox()} index update(s).")
