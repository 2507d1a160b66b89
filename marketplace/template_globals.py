"""What every template can use: navigation for the signed-in role, labels, permissions."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from marketplace import vocabulary
from marketplace.authz import can
from marketplace.organisations.models import CHECKED_FIELD_LABELS
from marketplace.referrals.sla import LONDON

# (label, endpoint, permission). The first that a user may use and that exists is shown.
NAVIGATION: list[tuple[str, str, str]] = [
    ("Dashboard", "dashboard.index", "dashboard:view"),
    ("Find services", "search.results", "search:use"),
    ("People", "people.index", "person:manage"),
    ("Referrals", "referrals.index", "referral:view"),
    ("Services", "onboarding.services", "service:edit"),
    ("Organisations", "onboarding.verification_queue", "organisation:verify"),
    ("Coverage", "coverage.index", "coverage:view"),
]


def url_for_safe(endpoint: str, **values: Any) -> str | None:
    """``url_for`` that answers None for an endpoint this deployment does not have yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def navigation() -> list[dict[str, Any]]:
    """Service navigation items for the current user, marking the current section."""
    if not current_user.is_authenticated:
        return []
    items = []
    for text, endpoint, permission in NAVIGATION:
        if not can(current_user, permission):
            continue
        href = url_for_safe(endpoint)
        if href is None:
            continue
        items.append(
            {
                "text": text,
                "href": href,
                "active": request.path.startswith(href) and (href != "/" or request.path == "/"),
            }
        )
    return items


def static_fragment(name: str) -> Markup:
    """The HTML of ``templates/fragments/<name>.html``, rendered once per application.

    For page furniture that is the same on every page for everyone (the footer, the phase
    banner): a fragment may use ``url_for`` and ``config`` but nothing about the request or
    the user. GOV.UK's macros are the slowest part of a fast page; these ran on every one.
    """
    fragments: dict[tuple[str, str], Markup] = current_app.extensions.setdefault(
        "pathways_fragments", {}
    )
    key = (name, request.script_root)  # url_for paths depend on where the app is mounted
    if key not in fragments:
        fragments[key] = Markup(render_template(f"fragments/{name}.html"))
    return fragments[key]


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        navigation=navigation,
        url_for_safe=url_for_safe,
        static_fragment=static_fragment,
        can=lambda permission, obj=None: can(current_user, permission, obj),
        label=vocabulary.label,
        vocabulary=vocabulary,
    )

    @app.template_filter("date")
    def format_date(value: Any, with_time: bool = False) -> str:
        if value is None:
            return ""
        if getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(LONDON)  # stored in UTC, shown as people read clocks
        if with_time:
            return value.strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")
        return value.strftime("%-d %B %Y")

    @app.template_filter("changed_field_label")
    def changed_field_label(field: str) -> str:
        return CHECKED_FIELD_LABELS.get(field, field.replace("_", " ").capitalize())

    @app.template_filter("miles")
    def miles(km: float | None) -> str:
        if km is None:
            return ""
        value = km / 1.609344
        return f"{value:.1f} miles" if value < 10 else f"{value:.0f} miles"
