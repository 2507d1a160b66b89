"""Check the area register against the loaded postcodes (how its codes were derived).

Each 2011 district in the LSOA names belongs to the current local authority that most
of the postcodes inside its LSOAs name in Code-Point's ``Admin_district_code``. This is
how ``lsoa_district_names`` in ``onboarding/data/local_authorities.csv`` was filled in,
and how to refill it when a new Code-Point release brings new authorities: run
``flask geodata check-register`` after loading the new postcodes.

It takes about half a minute for the whole of Great Britain: each LSOA polygon is
matched against a GiST index of the postcode points (polygon-driven, so PostGIS reuses
each prepared polygon for all the points in it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from onboarding.area_register import AreaRegister
from onboarding.lsoa_boundaries import Lsoa

_STAGE = """
CREATE UNLOGGED TABLE check_lsoa (district_name text NOT NULL, geojson text NOT NULL);
CREATE UNLOGGED TABLE check_postcode AS
    SELECT point::geometry AS point, local_authority_code FROM postcode
    WHERE local_authority_code IS NOT NULL;
CREATE INDEX ON check_postcode USING gist (point);
ANALYZE check_postcode;
"""

_VOTES = """
CREATE UNLOGGED TABLE check_shape AS
    SELECT district_name, ST_MakeValid(ST_GeomFromGeoJSON(geojson)) AS shape FROM check_lsoa;
SELECT l.district_name, p.local_authority_code, count(*)
FROM check_shape l JOIN check_postcode p ON ST_Covers(l.shape, p.point)
GROUP BY 1, 2
"""


@dataclass(frozen=True)
class DistrictMajority:
    """The local authority most postcodes in a 2011 district's LSOAs belong to."""

    district_name: str
    local_authority_code: str
    postcodes: int
    share: float


def district_majorities(
    connection: psycopg.Connection, lsoas: Iterable[Lsoa]
) -> list[DistrictMajority]:
    """The majority local authority of every 2011 district that has loaded postcodes
    inside its LSOAs, by district name.

    Works in the caller's transaction on ``connection`` through staging tables it drops
    again; writes nothing else.
    """
    connection.execute(_STAGE)
    with connection.cursor() as cursor, cursor.copy("COPY check_lsoa FROM STDIN") as copy:
        for lsoa in lsoas:
            copy.write_row((lsoa.district_name, lsoa.geojson))
    votes: dict[str, dict[str, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(_VOTES)
        cursor.nextset()
        for district_name, code, count in cursor:
            votes[district_name][code] = count
    connection.execute("DROP TABLE check_lsoa, check_shape, check_postcode")
    majorities = []
    for district_name in sorted(votes):
        counts = votes[district_name]
        code = max(counts, key=lambda candidate: (counts[candidate], candidate))
        total = sum(counts.values())
        majorities.append(DistrictMajority(district_name, code, total, counts[code] / total))
    return majorities


@dataclass(frozen=True)
class RegisterCheck:
    """The register compared with the postcodes, district by district."""

    districts_checked: int
    # Districts with too few loaded postcodes to judge (e.g. a partial load).
    districts_not_judged: tuple[str, ...]
    problems: tuple[str, ...]

    def describe(self) -> str:
        lines = [f"Checked {self.districts_checked} 2011 districts against their postcodes."]
        if self.districts_not_judged:
            lines.append(
                f"Too few postcodes to judge {len(self.districts_not_judged)}: "
                + ", ".join(self.districts_not_judged)
            )
        lines += self.problems or ["The register agrees with the postcodes."]
        return "\n".join(lines)


def check_register(
    majorities: Iterable[DistrictMajority],
    register: AreaRegister,
    *,
    minimum_share: float = 0.9,
    minimum_postcodes: int = 50,
) -> RegisterCheck:
    """What the register should change: districts it places elsewhere than their
    postcodes do or lacks, and districts whose majority is below ``minimum_share``.
    Districts with fewer than ``minimum_postcodes`` postcodes are not judged; with all
    of Great Britain loaded every district has hundreds."""
    placed = register.local_authority_for_district()
    problems = []
    not_judged = []
    checked = 0
    for majority in majorities:
        if majority.postcodes < minimum_postcodes:
            not_judged.append(majority.district_name)
            continue
        checked += 1
        registered = placed.get(majority.district_name)
        if registered is None:
            problems.append(
                f"{majority.district_name}: not in the register; its postcodes say "
                f"{majority.local_authority_code}"
            )
        elif registered != majority.local_authority_code:
            problems.append(
                f"{majority.district_name}: register says {registered}, its postcodes say "
                f"{majority.local_authority_code} ({majority.share:.1%})"
            )
        elif majority.share < minimum_share:
            problems.append(
                f"{majority.district_name}: only {majority.share:.1%} of its "
                f"{majority.postcodes} postcodes are in {registered}"
            )
    return RegisterCheck(checked, tuple(not_judged), tuple(problems))
