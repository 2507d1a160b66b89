"""The ``onboarding`` blueprint: sign-up, verification, team, services, locations,
capacity and imports. Its views live in ``onboarding.views``, one module per job."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint
from markupsafe import Markup

from marketplace.vocabulary import LANGUAGES, label

blueprint = Blueprint("onboarding", __name__)


@blueprint.app_template_filter("vocabulary_label")
def vocabulary_label(value: str) -> str:
    """``very_high`` -> "Very high", for lists of vocabulary values in templates."""
    return label(value)


@blueprint.app_template_filter("language_name")
def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


@blueprint.app_template_global("link_html")
def link_html(href: str, text: str, hidden: str = "") -> Markup:
    """A GOV.UK link for a macro's ``html`` parameter, with ``text`` (and any visually
    hidden context) escaped. Concatenating strings with ``~`` in a template would escape
    the markup instead."""
    extra = (
        Markup('<span class="govuk-visually-hidden"> {}</span>').format(hidden) if hidden else ""
    )
    return Markup('<a class="govuk-link" href="{}">{}{}</a>').format(href, text, extra)


@blueprint.app_template_global("lines_html")
def lines_html(items: Iterable[Any]) -> Markup:
    """Items on separate lines, each escaped."""
    return Markup("<br>").join(str(item) for item in items if item)
