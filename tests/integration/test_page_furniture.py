"""What every page shares: GOV.UK's page layout with its furniture rendered once, the
service navigation (worked out once per set of roles, rendered once per set of links)
with the signed-in user's own slot, and the cached <option> lists."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from markupsafe import escape

from marketplace.accounts.models import Role
from marketplace.authz import can
from marketplace.organisations.models import MembershipRole
from marketplace.template_globals import (
    NAVIGATION,
    navigation,
    page_furniture,
    select_options,
    url_for_safe,
)
from tests.factories import UserFactory, provider_user
from tests.helpers import sign_in, switch_user


def _navigation(page: str, user_name: str) -> str:
    """The service navigation of ``page``, without the user's name and CSRF token."""
    match = re.search(r'<section aria-label="Service information".*?</section>', page, re.S)
    assert match, "no service navigation"
    navigation = re.sub(r'name="csrf_token" value="[^"]+"', "", match.group(0))
    assert f"Signed in as {escape(user_name)}<" in navigation
    return navigation.replace(str(escape(user_name)), "")


def test_each_user_sees_their_own_name_and_links_in_the_cached_navigation(
    client: FlaskClient,
) -> None:
    first = UserFactory(role=Role.REFERRER, name="Ada O'Connor")
    second = UserFactory(role=Role.REFERRER, name="Grace <Hopper>")
    provider = provider_user()

    sign_in(client, first.email)
    first_page = client.get("/dashboard").get_data(as_text=True)
    switch_user(client, second.email)
    second_page = client.get("/dashboard").get_data(as_text=True)
    switch_user(client, provider.email)
    provider_page = client.get("/referrals").get_data(as_text=True)

    assert first.name not in second_page and "Grace <Hopper>" not in second_page
    # Same role, same section: the same links, only the name and token differ.
    assert _navigation(first_page, first.name) == _navigation(second_page, second.name)
    assert 'href="/people"' in first_page
    provider_navigation = _navigation(provider_page, provider.name)
    assert 'href="/people"' not in provider_navigation
    assert re.search(
        r'govuk-service-navigation__item--active">\s*<a class="govuk-service-navigation__link"'
        r' href="/referrals"\s+aria-current="true"',
        provider_navigation,
    )


def test_select_options_escape_the_text_and_mark_the_selection() -> None:
    options = ((1, "Tom & Jerry's <club>"), (2, "Second"))
    html = str(select_options(options, 2))
    assert html == (
        '<option value="1">Tom &amp; Jerry&#39;s &lt;club&gt;</option>'
        '<option value="2" selected>Second</option>'
    )
    assert str(select_options(options)).count(" selected") == 0
    assert select_options(options, 2) is select_options(options, 2)  # built once


def _navigation_links(page: str) -> list[str]:
    menu = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', page, re.S)
    return re.findall(r'href="([^"]+)"', menu.group(0)) if menu else []


def test_navigation_offers_each_role_exactly_the_sections_it_may_use(
    app: Flask, client: FlaskClient
) -> None:
    # The most permissive role first, so that what is kept for it is there to leak.
    users = [
        UserFactory(role=Role.PLATFORM_ADMIN, agency=None),
        UserFactory(role=Role.COMMISSIONER, agency=None),
        provider_user(),
        provider_user(role=MembershipRole.MEMBER),
        UserFactory(role=Role.REFERRER),
    ]
    shown: dict[int, list[str]] = {}
    for number, user in enumerate(users):
        (switch_user if number else sign_in)(client, user.email)
        shown[user.id] = _navigation_links(client.get("/dashboard").get_data(as_text=True))
    for user in users:
        with app.test_request_context():
            expected = [
                href
                for _, endpoint, permission in NAVIGATION
                if can(user, permission) and (href := url_for_safe(endpoint)) is not None
            ]
        assert shown[user.id] == expected, user.role
    assert "/people" in shown[users[-1].id] and "/people" not in shown[users[0].id]
    assert len({tuple(links) for links in shown.values()}) >= 4  # the roles really differ


def test_a_suspended_user_is_offered_no_section(app: Flask) -> None:
    user = UserFactory(role=Role.PLATFORM_ADMIN, agency=None)
    with app.test_request_context("/dashboard"):
        login_user(user)
        assert [item["href"] for item in navigation()]
        user.active = False
        assert navigation() == []


def test_the_page_furniture_is_rendered_once_unless_templates_reload(app: Flask) -> None:
    with app.test_request_context("/"):
        furniture = page_furniture()
        assert page_furniture() is furniture
        assert 'href="#main-content" class="govuk-skip-link"' in furniture.skip_link
        assert furniture.footer.startswith('<footer class="govuk-template__footer">')
        app.jinja_env.auto_reload = True
        try:
            assert page_furniture() is not furniture
            assert page_furniture() == furniture
        finally:
            app.jinja_env.auto_reload = False


def test_every_page_has_the_gov_uk_page_layout(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    order = [
        '<html lang="en" class="govuk-template">',
        "<title>",
        'rel="stylesheet" href="/static/vendor/govuk/govuk-frontend.min.css"',
        'rel="icon"',
        '<body class="govuk-template__body">',
        "js-enabled",
        'class="govuk-skip-link"',
        '<header class="govuk-template__header">',
        'class="govuk-phase-banner',
        '<main class="govuk-main-wrapper" id="main-content">',
        "</main>",
        '<footer class="govuk-template__footer">',
        'src="/static/vendor/govuk/govuk-frontend.min.js"',
        "</body>",
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
