"""What every page shares: the service navigation (rendered once per set of links) with
the signed-in user's own slot, and the cached <option> lists."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from markupsafe import escape

from marketplace.accounts.models import Role
from marketplace.template_globals import select_options
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
