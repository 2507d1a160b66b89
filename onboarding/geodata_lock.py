"""The lock that keeps two geodata loads from running at once."""

from __future__ import annotations

import psycopg

# Any fixed key works; this one is used for nothing else in Pathways.
GEODATA_LOCK = 7_424_110_001


def lock_geodata(connection: psycopg.Connection) -> None:
    """Wait for, then hold until the end of the caller's transaction, the geodata lock.

    The loaders run in the caller's transaction, so ``connection`` must not be in
    autocommit mode (raises ValueError): the lock and the load end at its commit.
    """
    if connection.autocommit:
        raise ValueError("Geodata loads run in the caller's transaction: not in autocommit")
    connection.execute("SELECT pg_advisory_xact_lock(%s)", (GEODATA_LOCK,))
