"""The inbox's kept HTML (rows, tabs, filter panel, pagination): keyed by what it shows, so
a change in any shown value is new HTML; never kept while templates reload; escaped."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import DictLoader, Environment

from marketplace.agencies.models import Agency
from marketplace.extensions import not_rate_limited
from marketplace.referrals.inbox_fragments import (
    AGE_OPTIONS,
    SORT_OPTIONS,
    TEMPLATE,
    InboxFragments,
)
from marketplace.referrals.models import ReferralState
from marketplace.referrals.queries import TABS, InboxFilters, InboxRow
from tests.factories import (
    AgencyFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)
from tests.helpers import sign_in, switch_user
from tests.inbox.conftest import Sides

INBOX = "/referrals"
ROW = InboxRow(
    id=7,
    reference="PW-0007",
    state=ReferralState.SENT,
    sent_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
    person_reference="PERSON-1",
    service_name="Housing advice",
    agency_name="PDU North",
    referrer_name="Rita Referrer",
    attendance="1 of 2",
    open_alerts=0,
    overdue=False,
    days_waiting=3,
)
COUNTS = {"new": 3, "accepted": 1, "in_progress": 0, "closed": 4, "all": 8}
CHOICES = {
    "services": ((1, "Housing advice"), (2, "Debt advice")),
    "locations": ((5, "Town hall"),),
    "agencies": ((9, "PDU North"),),
}


@pytest.fixture
def fragments(app: Flask) -> InboxFragments:
    """A fresh set of kept fragments on the application's templates."""
    return InboxFragments(app.jinja_env)


# (field, new value, what the row then shows, whose view: referrer or provider)
ROW_CHANGES = [
    ("id", 8, 'href="/referrals/8"', False),
    ("reference", "PW-0008", ">PW-0008</a>", False),
    ("state", ReferralState.ACCEPTED, ">Accepted</strong>", False),
    ("sent_at", datetime(2026, 1, 6, 10, 0, tzinfo=UTC), "6 January 2026", False),
    ("person_reference", "PERSON-2", ">PERSON-2</td>", False),
    ("service_name", "Debt advice", ">Debt advice</td>", False),
    ("agency_name", "PDU South", ">PDU South</td>", False),
    ("referrer_name", "Ray Referrer", ">Ray Referrer</td>", True),
    ("attendance", "2 of 2", "Attended 2 of 2", False),
    ("open_alerts", 1, "Non-compliance alert", False),
    ("overdue", True, "Overdue", False),
    ("days_waiting", 1, "1 day waiting", False),
]


def test_every_field_of_the_inbox_row_is_tried_below() -> None:
    assert sorted(field for field, *_ in ROW_CHANGES) == sorted(InboxRow._fields)


@pytest.mark.parametrize(("field", "value", "shown", "is_referrer"), ROW_CHANGES)
def test_a_change_in_any_shown_value_of_a_row_is_new_html(
    app: Flask, fragments: InboxFragments, field: str, value: Any, shown: str, is_referrer: bool
) -> None:
    before = fragments.rows(INBOX, is_referrer, [ROW])
    changed = ROW._replace(**{field: value})
    after = fragments.rows(INBOX, is_referrer, [changed])

    assert shown not in before
    assert shown in after
    # What was kept is exactly what rendering afresh gives.
    assert after == InboxFragments(app.jinja_env).rows(INBOX, is_referrer, [changed])


def test_who_sent_it_is_the_agency_for_providers_and_the_referrer_for_referrers(
    fragments: InboxFragments,
) -> None:
    assert ">PDU North</td>" in fragments.rows(INBOX, False, [ROW])
    assert ">Rita Referrer</td>" in fragments.rows(INBOX, True, [ROW])


def test_rows_are_kept_as_a_table_and_one_by_one(fragments: InboxFragments) -> None:
    other = ROW._replace(id=8, reference="PW-0008")
    table = fragments.rows(INBOX, False, [ROW, other])
    assert fragments.rows(INBOX, False, [ROW, other]) is table  # the whole table, kept
    # A new page sharing a row: the table is new, the shared row's HTML is the same.
    third = ROW._replace(id=9, reference="PW-0009")
    shared = fragments.rows(INBOX, False, [other, third])
    assert shared.startswith(fragments.rows(INBOX, False, [other]))
    assert table.endswith(fragments.rows(INBOX, False, [other]))


def test_tabs_show_the_counts_and_the_current_tab(fragments: InboxFragments) -> None:
    filters = InboxFilters(tab="new", service_id=1)
    tabs = fragments.tabs(INBOX, filters, COUNTS)
    assert fragments.tabs(INBOX, filters, COUNTS) is tabs

    recounted = fragments.tabs(INBOX, filters, {**COUNTS, "new": 1234})
    assert "New <span" in recounted and "(1,234)" in recounted and "(1,234)" not in tabs

    other_tab = fragments.tabs(INBOX, dataclasses.replace(filters, tab="closed"), COUNTS)
    assert (
        'href="/referrals?tab=closed&amp;service=1&amp;sort=oldest" aria-current="page"'
        in other_tab
    )
    assert 'href="/referrals?tab=new&amp;service=1&amp;sort=oldest" aria-current="page"' in tabs


def test_the_filter_panel_shows_the_current_filters_and_lists(
    fragments: InboxFragments,
) -> None:
    filters = InboxFilters(tab="all", service_id=2, age="7", sort="newest", reference="PW-1")
    panel = fragments.filter_panel(INBOX, filters, False, CHOICES)
    assert fragments.filter_panel(INBOX, filters, False, CHOICES) is panel
    assert '<option value="2" selected>Debt advice</option>' in panel
    assert 'value="PW-1"' in panel
    assert '<option value="newest" selected>' in panel
    assert 'name="scope"' not in panel

    renamed = {**CHOICES, "services": ((1, "Housing advice"), (2, "Money advice"))}
    assert "Money advice" in fragments.filter_panel(INBOX, filters, False, renamed)
    referrers = fragments.filter_panel(
        INBOX, dataclasses.replace(filters, scope="agency"), True, CHOICES
    )
    assert '<input type="hidden" name="scope" value="agency">' in referrers


def test_every_page_of_a_list_shares_its_tabs_and_filter_panel(
    app: Flask, fragments: InboxFragments
) -> None:
    first, third = (
        InboxFilters(tab="all", service_id=2),
        InboxFilters(tab="all", service_id=2, page=3),
    )
    assert fragments.tabs(INBOX, third, COUNTS) is fragments.tabs(INBOX, first, COUNTS)
    panel = fragments.filter_panel(INBOX, third, False, CHOICES)
    assert panel is fragments.filter_panel(INBOX, first, False, CHOICES)
    # ... and what is shared is what the macros draw for the third page itself.
    macros = app.jinja_env.get_template(TEMPLATE).module
    lists = (CHOICES["services"], CHOICES["locations"], CHOICES["agencies"])
    assert panel == macros.filter_panel(INBOX, third, False, lists, AGE_OPTIONS, SORT_OPTIONS)
    tabs = tuple((tab.key, tab.label, COUNTS[tab.key]) for tab in TABS)
    assert fragments.tabs(INBOX, third, COUNTS) == macros.tabs(INBOX, third, tabs)
    assert "page=" not in fragments.tabs(INBOX, third, COUNTS)


def test_pagination_follows_the_page_and_the_number_of_pages(
    fragments: InboxFragments,
) -> None:
    assert fragments.pagination(INBOX, InboxFilters(), 1) == ""
    second = fragments.pagination(INBOX, InboxFilters(page=2), 3)
    assert 'aria-label="Page 2" aria-current="page"' in second
    assert 'rel="next"' in second and 'rel="prev"' in second
    last = fragments.pagination(INBOX, InboxFilters(page=3), 3)
    assert 'rel="next"' not in last
    assert 'aria-label="Page 40"' in fragments.pagination(INBOX, InboxFilters(page=3), 40)


def test_inbox_filters_are_frozen_and_equal_by_value() -> None:
    assert InboxFilters(tab="all", page=2) == InboxFilters(tab="all", page=2)
    assert hash(InboxFilters(tab="all", page=2)) == hash(InboxFilters(tab="all", page=2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        InboxFilters().page = 3  # type: ignore[misc]


def _fragments_on(source: dict[str, str], *, auto_reload: bool) -> InboxFragments:
    environment = Environment(loader=DictLoader(source), auto_reload=auto_reload, autoescape=True)
    return InboxFragments(environment)


def test_nothing_is_kept_while_templates_reload() -> None:
    source = {TEMPLATE: "{% macro row(inbox_path, is_referrer, row) %}one{% endmacro %}"}
    reloading = _fragments_on(source, auto_reload=True)
    assert reloading.rows(INBOX, False, [ROW]) == "one"

    source[TEMPLATE] = "{% macro row(inbox_path, is_referrer, row) %}two{% endmacro %}"
    assert reloading.rows(INBOX, False, [ROW]) == "two"  # the edit shows at once


def test_without_reloading_the_html_is_kept() -> None:
    source = {TEMPLATE: "{% macro row(inbox_path, is_referrer, row) %}one{% endmacro %}"}
    kept = _fragments_on(source, auto_reload=False)
    assert kept.rows(INBOX, False, [ROW]) == "one"

    source[TEMPLATE] = "{% macro row(inbox_path, is_referrer, row) %}two{% endmacro %}"
    assert kept.rows(INBOX, False, [ROW]) == "one"


HOSTILE = "O'Neil <script>alert(1)</script>"
ESCAPED = "O&#39;Neil &lt;script&gt;alert(1)&lt;/script&gt;"


def test_names_are_escaped_in_the_kept_rows_and_filter_lists(
    client: FlaskClient, sides: Sides
) -> None:
    agency: Agency = AgencyFactory(name=HOSTILE)
    service = ServiceFactory(organisation=sides.service.organisation, name=HOSTILE)
    person = PersonFactory(agency=agency, reference="P'<b>1</b>")
    ReferralFactory(
        service=service,
        person=person,
        referrer=UserFactory(agency=agency, name=HOSTILE),
    )
    sign_in(client, sides.provider.email)

    for _ in range(2):  # rendered, then kept
        page = client.get("/referrals?tab=all").get_data(as_text=True)
        assert "<script>alert" not in page and "<b>1</b>" not in page
        assert f">{ESCAPED}</td>" in page  # the service and the agency columns
        assert page.count(f">{ESCAPED}</td>") == 2
        assert "P&#39;&lt;b&gt;1&lt;/b&gt;" in page
        assert f">{ESCAPED}</option>" in page  # the service and agency filter lists

    searched = client.get("/referrals?tab=all&reference=%3Cb%3E'x").get_data(as_text=True)
    assert 'value="&lt;B&gt;&#39;X"' in searched and "<B>'X" not in searched


def test_a_referrer_sees_the_referrers_name_escaped_in_my_referrals(client: FlaskClient) -> None:
    referrer = UserFactory(name=HOSTILE)
    ReferralFactory(referrer=referrer, person=PersonFactory(agency=referrer.agency))
    sign_in(client, referrer.email)
    page = client.get("/referrals?tab=all").get_data(as_text=True)
    assert f">{ESCAPED}</td>" in page
    assert "<script>alert" not in page


def test_providers_never_see_each_others_kept_rows(client: FlaskClient, sides: Sides) -> None:
    other = provider_user(name="Other Provider")
    sign_in(client, sides.provider.email)
    own = client.get("/referrals").get_data(as_text=True)
    assert sides.referral.reference in own

    switch_user(client, other.email)
    theirs = client.get("/referrals").get_data(as_text=True)
    assert sides.referral.reference not in theirs
    assert "No referrals match." in theirs


def test_the_rate_limiter_skips_the_inbox_only(app: Flask) -> None:
    with app.test_request_context("/referrals"):
        assert not_rate_limited()
    for path in ("/sign-in", "/referrals/1/accept", "/api/v1/services"):
        with app.test_request_context(path, method="POST"):
            assert not not_rate_limited(), path
