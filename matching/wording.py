"""Plain-English phrasing shared by refusals, caveats and score explanations.

Distances are kept in kilometres inside matching and shown in miles, as UK users expect.
Labels fall back to the code with underscores as spaces, so a new vocabulary value still
reads sensibly before anyone adds a label for it.
"""

from __future__ import annotations

from collections.abc import Iterable

KM_PER_MILE = 1.609344

_LABELS = {
    # genders, as in "accepts female and non-binary people"
    "non_binary": "non-binary",
    "other": "another gender",
    # criminal-justice stages
    "out_of_court": "out-of-court resolution",
    "community_order": "community order",
    "licence": "licence (post-release)",
    # risk levels
    "very_high": "very high",
    # accessibility
    "step_free": "step-free access",
    "bsl": "British Sign Language",
}

LANGUAGES = {
    "en": "English",
    "cy": "Welsh",
    "pl": "Polish",
    "ro": "Romanian",
    "pa": "Punjabi",
    "ur": "Urdu",
    "bn": "Bengali",
    "gu": "Gujarati",
    "ar": "Arabic",
    "so": "Somali",
    "lt": "Lithuanian",
    "pt": "Portuguese",
    "es": "Spanish",
    "fr": "French",
    "tr": "Turkish",
    "ku": "Kurdish",
    "fa": "Persian (Farsi)",
    "ti": "Tigrinya",
    "bg": "Bulgarian",
    "zh": "Chinese",
    "bsl": "British Sign Language",
}


def label(code: str) -> str:
    """A vocabulary code as words, e.g. ``"very_high"`` -> ``"very high"``."""
    return _LABELS.get(code, code.replace("_", " "))


def language_name(code: str) -> str:
    """An ISO 639-1 code as the language's English name; unknown codes are quoted."""
    return LANGUAGES.get(code, f'language "{code}"')


def join_words(words: Iterable[str], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``; the words are sorted so output is stable."""
    ordered = sorted(words)
    if len(ordered) <= 1:
        return "".join(ordered)
    return f"{', '.join(ordered[:-1])} {conjunction} {ordered[-1]}"


def labels(codes: Iterable[str], conjunction: str = "and") -> str:
    return join_words((label(code) for code in codes), conjunction)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``plural(1, "need")`` -> ``"1 need"``; ``plural(2, "need")`` -> ``"2 needs"``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def km_to_miles(km: float) -> float:
    return km / KM_PER_MILE


def miles(km: float) -> str:
    """A distance given in km as miles for people: ``1.931`` -> ``"1.2 miles"``."""
    shown = round(km_to_miles(km), 1)
    if shown < 0.1:
        return "under 0.1 miles"
    return f"{shown:.1f} miles"


def waiting_time(days: int) -> str:
    """A wait in days as people say it: ``"5 days"``, ``"about 3 weeks"``."""
    if days < 14:
        return plural(days, "day")
    return f"about {round(days / 7)} weeks"
