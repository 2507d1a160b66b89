"""What every template can use: navigation for the signed-in role, labels, permissions."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from flask import Flask, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from marketplace import vocabulary
from marketplace.authz import Actor, actors_may, can, may
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
    ("Shared comments", "feedback_admin.index", "feedback:moderate"),
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
    links = _navigation_links()
    return _navigation_items(links, _active_links(links))


def _navigation_items(
    links: tuple[tuple[str, str], ...], active: tuple[bool, ...]
) -> list[dict[str, Any]]:
    """The items GOV.UK's service navigation macro takes."""
    return [
        {"text": text, "href": href, "active": current}
        for (text, href), current in zip(links, active, strict=True)
    ]


def _navigation_links() -> tuple[tuple[str, str], ...]:
    """(text, href) of each section the current user may use and this deployment has.

    Worked out once per set of roles (``authz.actors_may``, which decides every permission)
    and mount point, and kept per application: a ``can`` per link on every page otherwise.
    """
    actors = actors_may(current_user._get_current_object())  # type: ignore[attr-defined]
    links: dict[tuple[frozenset[Actor], str], tuple[tuple[str, str], ...]] = (
        current_app.extensions.setdefault("pathways_navigation_links", {})
    )
    key = (actors, request.script_root)
    if key not in links:
        links[key] = tuple(
            (text, href)
            for text, endpoint, permission in NAVIGATION
            if may(actors, permission) and (href := url_for_safe(endpoint)) is not None
        )
    return links[key]


def _active_links(links: tuple[tuple[str, str], ...]) -> tuple[bool, ...]:
    """For each link, whether the current page is in its section."""
    path = request.path
    return tuple(path.startswith(href) and (href != "/" or path == "/") for _, href in links)


# Stands for the signed-in slot while the navigation is rendered for the cache: a comment,
# which escaped link texts and URLs can never contain.
_SLOT = "<!-- signed-in slot -->"


def service_navigation(signed_in: Markup) -> Markup:
    """GOV.UK's service navigation for the current user, with ``signed_in`` (their name and
    the sign-out form) in its end slot.

    The macro's markup depends only on the links shown and which of them is the current
    section: it is rendered once for each and kept per application, and only the slot is
    new on each page. The macro took a quarter of a fast page.
    """
    links = _navigation_links()
    active = _active_links(links)
    rendered: dict[Any, tuple[Markup, Markup]] = current_app.extensions.setdefault(
        "pathways_service_navigation", {}
    )
    key = (links, active, request.script_root)
    if key not in rendered:
        html = render_template(
            "fragments/service_navigation.html",
            items=_navigation_items(links, active),
            signed_in=Markup(_SLOT),
        )
        before, after = html.split(_SLOT)
        rendered[key] = (Markup(before), Markup(after))
    before, after = rendered[key]
    return before + signed_in + after


def static_url(filename: str) -> str:
    """``url_for('static', filename=filename)``, built once per application and mount
    point: every page links its stylesheets, scripts and GOV.UK assets."""
    return _fixed_url("static", filename)


def page_url(endpoint: str) -> str:
    """``url_for(endpoint)`` for a page that takes no arguments (signing out, the inbox),
    built once per application and mount point rather than on every page."""
    return _fixed_url(endpoint, None)


def _fixed_url(endpoint: str, filename: str | None) -> str:
    urls: dict[tuple[str, str | None, str], str] = current_app.extensions.setdefault(
        "pathways_fixed_urls", {}
    )
    key = (endpoint, filename, request.script_root)
    if key not in urls:
        urls[key] = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
    return urls[key]


class PageFurniture(NamedTuple):
    """The parts of every page that no request or user changes, as HTML (the macros of
    ``templates/fragments/page_furniture.html``, in the order base.html places them)."""

    head: Markup
    icons: Markup
    skip_link: Markup
    phase_banner: Markup
    footer: Markup
    scripts: Markup


def page_furniture() -> PageFurniture:
    """The page furniture, rendered once per application and mount point (the URLs in it
    depend on where the application is mounted), or on every page while templates reload.

    GOV.UK's page template, footer and phase banner macros were the slowest part of a fast
    page, for HTML that is the same on every page for everyone.
    """
    environment = current_app.jinja_env
    if environment.auto_reload:
        return _render_page_furniture()
    furniture: dict[str, PageFurniture] = current_app.extensions.setdefault(
        "pathways_page_furniture", {}
    )
    if request.script_root not in furniture:
        furniture[request.script_root] = _render_page_furniture()
    return furniture[request.script_root]


def _render_page_furniture() -> PageFurniture:
    macros = current_app.jinja_env.get_template("fragments/page_furniture.html").module
    return PageFurniture(
        *(Markup(getattr(macros, part)().strip()) for part in PageFurniture._fields)
    )


@lru_cache(maxsize=1024)
def select_options(options: tuple[tuple[Any, str], ...], selected: Any = None) -> Markup:
    """``<option>`` elements for a GOV.UK select, one per (value, text), with ``selected``
    marked: for long lists that repeat from page to page (every agency, on every inbox
    page), built once per list and selection rather than by a template loop."""
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            value, Markup(" selected") if value == selected else "", text
        )
        for value, text in options
    )


# Month names in English whatever the process's locale (strftime's %B follows it).
MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(value: date | datetime | None, with_time: bool = False) -> str:
    """``7 December 2026`` (or ``7 December 2026 at 2:05pm``), in London time for an aware
    datetime, as GOV.UK writes dates; empty for None.

    Written out rather than with ``strftime`` (a third of its cost, measured): the inbox
    formats a date on every row.
    """
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(LONDON)  # stored in UTC, shown as people read clocks
    day = f"{value.day} {MONTHS[value.month]} {value.year}"
    if not with_time or not isinstance(value, datetime):
        return day
    hour = value.hour % 12 or 12
    return f"{day} at {hour}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"


def can_current_user(permission: str, obj: Any = None) -> bool:
    """``can`` for the signed-in user (the proxy unwrapped once: each read through it costs
    a lookup)."""
    return can(current_user._get_current_object(), permission, obj)  # type: ignore[attr-defined]


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        service_navigation=service_navigation,
        url_for_safe=url_for_safe,
        page_furniture=page_furniture,
        static_url=static_url,
        page_url=page_url,
        select_options=select_options,
        can=can_current_user,
        label=vocabulary.label,
        vocabulary=vocabulary,
    )

    app.add_template_filter(format_date, "date")

    @app.template_filter("changed_field_label")
    def changed_field_label(field: str) -> str:
        return CHECKED_FIELD_LABELS.get(field, field.replace("_", " ").capitalize())

    @app.template_filter("miles")
    def miles(km: float | None) -> str:
        if km is None:
            return ""
        value = km / 1.609344
        return f"{value:.1f} miles" if value < 10 else f"{value:.0f} miles"
