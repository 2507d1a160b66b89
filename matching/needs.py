"""How far a service's need codes meet one of a person's needs.

Need codes are dotted paths: ``"accommodation"`` is a category, ``"accommodation.homeless"``
a sub-need of it. The rules:

- a service that lists a need, or any category above it, meets it **fully**
  (a service for "accommodation" meets "accommodation.homeless");
- a service that lists only sub-needs of a need meets it **in part**
  (a service for "accommodation.homeless" meets "accommodation" in part: the referrer
  assessed the whole category and this service helps with one piece of it);
- otherwise the service does **not** meet the need.

Codes are compared exactly; the caller passes them as stored in the taxonomy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Coverage(enum.StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


def _is_within(code: str, category: str) -> bool:
    """True when ``code`` is ``category`` itself or lies under it in the taxonomy."""
    return code == category or code.startswith(category + ".")


def coverage(need_code: str, service_need_codes: Iterable[str]) -> Coverage:
    """How well a service listing ``service_need_codes`` meets ``need_code``."""
    codes = tuple(service_need_codes)
    if any(_is_within(need_code, listed) for listed in codes):
        return Coverage.FULL
    if any(_is_within(listed, need_code) for listed in codes):
        return Coverage.PARTIAL
    return Coverage.NONE


def needs_met(needs: Iterable[str], service_need_codes: Iterable[str]) -> dict[str, Coverage]:
    """The needs among ``needs`` that the service meets fully or in part, with how."""
    codes = tuple(service_need_codes)
    met = {need: coverage(need, codes) for need in needs}
    return {need: how for need, how in met.items() if how is not Coverage.NONE}
