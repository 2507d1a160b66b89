"""UK postcode format: normalising what people type, and the parts of a postcode.

Pure functions, no database. A postcode is an outward code (the district, "SW1A") and
an inward code (sector digit and unit letters, "1AA"); the normalised form is upper case
with exactly one space between them ("SW1A 1AA"), which is how the ``postcode`` table is
keyed. The patterns follow the Royal Mail rules on which letters may appear where, so
"Q1 1AA" or "SW1A 1CI" are malformed even though they look like postcodes.
"""

from __future__ import annotations

import re

# A9, A99, AA9, AA99, A9A, AA9A, with the letters Royal Mail allows in each position.
OUTWARD_PATTERN = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
INWARD_PATTERN = r"[0-9][ABD-HJLNP-UW-Z]{2}"

_POSTCODE = re.compile(rf"(?:(?P<outward>{OUTWARD_PATTERN})|GIR)(?P<inward>{INWARD_PATTERN})")
_OUTWARD = re.compile(OUTWARD_PATTERN)
_AREA = re.compile(r"[A-Z]{1,2}")
_WHITESPACE = re.compile(r"\s+")


def normalise_postcode(text: str | None) -> str | None:
    """The postcode in ``text`` in normalised form ("sw1a1aa " -> "SW1A 1AA").

    Ignores case and any whitespace (spaces, tabs, non-breaking spaces) anywhere in the
    text; any other non-ASCII character makes it malformed. Returns None when ``text``
    is empty or is not a well-formed UK postcode; a well-formed postcode need not exist
    (use ``geocode`` to find out). "GIR 0AA", the one postcode outside the pattern, is
    accepted.
    """
    if not text:
        return None
    compact = _WHITESPACE.sub("", text)
    if not compact.isascii():  # "ſ".upper() is "S": only ASCII letters count
        return None
    compact = compact.upper()
    match = _POSTCODE.fullmatch(compact)
    if match is None or (match["outward"] is None and match["inward"] != "0AA"):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_outward(text: str | None) -> str | None:
    """The outward code (district) in ``text``: "m1" -> "M1", "M1 1AE" -> "M1".

    Accepts an outward code on its own or a full postcode, whose outward code is taken.
    Returns None for anything else, including a postcode sector such as "M1 1" (which
    must not be read as the district "M11").
    """
    if not text:
        return None
    postcode = normalise_postcode(text)
    if postcode is not None:
        return outward_of(postcode)
    candidate = text.strip()
    if not candidate.isascii():
        return None
    return candidate.upper() if _OUTWARD.fullmatch(candidate.upper()) else None


def outward_of(postcode: str) -> str:
    """The outward code of a postcode: "SW1A 1AA" -> "SW1A".

    Raises ValueError if ``postcode`` is not a well-formed postcode.
    """
    normalised = normalise_postcode(postcode)
    if normalised is None:
        raise ValueError(f"{postcode!r} is not a UK postcode")
    return normalised.split(" ")[0]


def postcode_area_of(postcode_or_outward: str) -> str:
    """The postcode area, the leading letters: "SW1A 1AA" -> "SW", "M1" -> "M".

    Raises ValueError if the text does not start with one or two letters.
    """
    match = _AREA.match(postcode_or_outward.strip().upper())
    if match is None:
        raise ValueError(f"{postcode_or_outward!r} does not start with a postcode area")
    return match.group()
