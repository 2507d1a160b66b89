"""The inbox's statements: counts, filters, scopes, order and pages, and how many round
trips a page costs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.referrals import queries
from marketplace.referrals.models import AppointmentStatus, ComplianceAlert, ReferralState
from marketplace.referrals.queries import InboxFilters, page_numbers
from tests.factories import (
    AgencyFactory,
    AppointmentFactory,
    LocationFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)
from tests.helpers import sign_in
from tests.inboxperf.conftest import Sides


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block (not the savepoints
    with which the test harness wraps each session)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if "SAVEPOINT" not in statement:
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    ("current", "last", "expected"),
    [
        (1, 1, [1]),
        (2, 3, [1, 2, 3]),
        (1, 42, [1, 2, None, 42]),
        (3, 42, [1, 2, 3, 4, None, 42]),  # a gap of one page shows that page
        (5, 42, [1, None, 4, 5, 6, None, 42]),
        (42, 42, [1, None, 41, 42]),
    ],
)
def test_page_numbers_follow_the_govuk_pagination_pattern(
    current: int, last: int, expected: list[int | None]
) -> None:
    assert page_numbers(current, last) == expected


def test_counts_cover_every_tab_and_ignore_drafts_and_other_providers(sides: Sides) -> None:
    ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(days=10))  # overdue
    ReferralFactory(service=sides.service, state=ReferralState.ACCEPTED)
    ReferralFactory(service=sides.service, state=ReferralState.IN_PROGRESS)
    ReferralFactory(service=sides.service, state=ReferralState.COMPLETED)
    ReferralFactory(service=sides.service, state=ReferralState.WITHDRAWN)
    ReferralFactory(service=sides.service, state=ReferralState.DRAFT, sent_at=None)
    ReferralFactory(sent_at=utcnow() - timedelta(days=10))  # another provider's

    inbox = queries.inbox(sides.provider, InboxFilters())

    assert inbox.counts == {"new": 2, "accepted": 1, "in_progress": 1, "closed": 2, "all": 6}
    assert inbox.overdue == 1
    assert inbox.total == 2


def test_filters_narrow_the_counts_as_well_as_the_rows(sides: Sides) -> None:
    debt = ServiceFactory(organisation=sides.service.organisation, name="Debt advice")
    hub = LocationFactory(organisation=sides.service.organisation)
    other_agency = AgencyFactory()
    at_hub = ReferralFactory(service=debt, location=hub, state=ReferralState.ACCEPTED)
    from_elsewhere = ReferralFactory(
        service=debt, person__agency=other_agency, sent_at=utcnow() - timedelta(days=40)
    )

    by_service = queries.inbox(sides.provider, InboxFilters(tab="all", service_id=debt.id))
    assert by_service.counts["all"] == 2
    assert {row.id for row in by_service.rows} == {at_hub.id, from_elsewhere.id}

    by_location = queries.inbox(sides.provider, InboxFilters(tab="all", location_id=hub.id))
    assert [row.id for row in by_location.rows] == [at_hub.id]
    assert by_location.counts == {"new": 0, "accepted": 1, "in_progress": 0, "closed": 0, "all": 1}

    by_agency = queries.inbox(sides.provider, InboxFilters(tab="all", agency_id=other_agency.id))
    assert [row.id for row in by_agency.rows] == [from_elsewhere.id]

    month_old = queries.inbox(sides.provider, InboxFilters(tab="all", age="30"))
    assert [row.id for row in month_old.rows] == [from_elsewhere.id]
    assert month_old.overdue == 1


def test_the_overdue_filter_shows_only_new_referrals_past_the_target(sides: Sides) -> None:
    late = ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(days=10))
    ReferralFactory(
        service=sides.service, state=ReferralState.ACCEPTED, sent_at=utcnow() - timedelta(days=10)
    )
    inbox = queries.inbox(sides.provider, InboxFilters(tab="all", age="overdue"))
    assert [row.id for row in inbox.rows] == [late.id]
    assert inbox.rows[0].overdue is True and inbox.rows[0].days_waiting == 10
    assert inbox.counts["all"] == 1


def test_reference_search_treats_wildcards_as_letters(sides: Sides) -> None:
    wanted = ReferralFactory(service=sides.service, reference="PW-AB_1")
    ReferralFactory(service=sides.service, reference="PW-ABX1")
    found = queries.inbox(sides.provider, InboxFilters(tab="all", reference="PW-AB_"))
    assert [row.id for row in found.rows] == [wanted.id]
    assert queries.inbox(sides.provider, InboxFilters(tab="all", reference="PW-%")).rows == []


def test_rows_come_in_date_order_with_ties_broken_by_id(sides: Sides) -> None:
    sent = utcnow() - timedelta(days=1)
    first, second = (ReferralFactory(service=sides.service, sent_at=sent) for _ in range(2))
    older = ReferralFactory(service=sides.service, sent_at=sent - timedelta(hours=1))
    ids = sorted([first.id, second.id])

    oldest = queries.inbox(sides.provider, InboxFilters(tab="new", sort="oldest"))
    assert [row.id for row in oldest.rows] == [older.id, *ids, sides.referral.id]
    newest = queries.inbox(sides.provider, InboxFilters(tab="new", sort="newest"))
    assert [row.id for row in newest.rows] == [sides.referral.id, *reversed(ids), older.id]


def test_pages_split_the_rows_without_overlap(sides: Sides) -> None:
    for _ in range(queries.PAGE_SIZE + 2):
        ReferralFactory(service=sides.service)
    first = queries.inbox(sides.provider, InboxFilters(page=1))
    second = queries.inbox(sides.provider, InboxFilters(page=2))
    assert (first.pages, len(first.rows), len(second.rows)) == (2, queries.PAGE_SIZE, 3)
    assert not {row.id for row in first.rows} & {row.id for row in second.rows}


def test_referrers_see_their_own_or_their_agencys_referrals_only(sides: Sides) -> None:
    colleague = UserFactory(agency=sides.referrer.agency)
    theirs = ReferralFactory(referrer=colleague, person__agency=sides.referrer.agency)
    ReferralFactory()  # another agency's

    mine = queries.inbox(sides.referrer, InboxFilters(tab="all", scope="mine"))
    assert [row.id for row in mine.rows] == [sides.referral.id]
    agency = queries.inbox(sides.referrer, InboxFilters(tab="all", scope="agency"))
    assert {row.id for row in agency.rows} == {sides.referral.id, theirs.id}
    assert agency.counts["all"] == 2


def test_a_commissioner_sees_no_referrals(sides: Sides) -> None:
    from marketplace.accounts.models import Role

    commissioner = UserFactory(role=Role.COMMISSIONER, agency=None)
    inbox = queries.inbox(commissioner, InboxFilters(tab="all"))
    assert inbox.rows == [] and inbox.counts["all"] == 0


def test_filter_choices_are_the_providers_own_services_and_locations(sides: Sides) -> None:
    ServiceFactory(name="Someone else's service")
    other_provider = provider_user()

    choices = queries.filter_choices(sides.provider)
    assert [name for _, name in choices["services"]] == [sides.service.name]
    assert [name for _, name in choices["locations"]] == [sides.location.name]
    assert sides.referrer.agency.name in [name for _, name in choices["agencies"]]

    theirs = queries.filter_choices(other_provider)
    assert theirs["services"] == () and theirs["locations"] == ()
    assert queries.filter_choices(sides.referrer)["services"] == ()


def test_filter_choices_are_kept_until_a_service_location_or_agency_changes(
    sides: Sides,
) -> None:
    queries.filter_choices(sides.provider)
    with counted_statements() as statements:
        again = queries.filter_choices(sides.provider)
    assert statements == []  # answered from this process's cache

    added = ServiceFactory(organisation=sides.service.organisation, name="Added later")
    assert (added.id, "Added later") in queries.filter_choices(sides.provider)["services"]

    sides.location.name = "Renamed hub"
    db.session.flush()
    assert [name for _, name in queries.filter_choices(sides.provider)["locations"]] == [
        "Renamed hub"
    ]

    agency = AgencyFactory(name="A new agency")
    assert (agency.id, "A new agency") in queries.filter_choices(sides.provider)["agencies"]
    assert (agency.id, "A new agency") not in again["agencies"]


@pytest.mark.parametrize(
    "filters",
    [
        InboxFilters(),
        InboxFilters(tab="all", sort="newest", page=3),
        InboxFilters(tab="closed", service_id=1, location_id=2, agency_id=3, reference="PW-1"),
        InboxFilters(tab="new", age="overdue"),
        InboxFilters(tab="accepted", age="7"),
    ],
)
def test_the_inbox_is_two_statements_whatever_the_filters(
    sides: Sides, filters: InboxFilters
) -> None:
    assert sides.provider.memberships  # loaded with the user on every request
    with counted_statements() as statements:
        queries.inbox(sides.provider, filters)
    assert len(statements) == 2


def test_the_inbox_page_costs_three_round_trips_once_warm(
    app: Flask, client: FlaskClient, sides: Sides
) -> None:
    sign_in(client, sides.provider.email)
    queries.forget_filter_choices_now()
    db.session.expunge_all()  # as in production, the request starts with an empty session
    with counted_statements() as statements:
        page = client.get("/referrals?tab=all&sort=newest")
    assert page.status_code == 200
    # The user with their memberships, the tab counts, the page, the filter lists.
    assert len(statements) == 4, statements

    db.session.expunge_all()
    with counted_statements() as statements:
        assert client.get("/referrals?tab=all&sort=newest").status_code == 200
    # The filter lists come from this process's cache for a while.
    assert len(statements) == 3, statements


def test_the_inbox_links_open_the_referral_and_the_next_page(
    client: FlaskClient, sides: Sides
) -> None:
    for _ in range(2 * queries.PAGE_SIZE):
        ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(hours=1))
    sign_in(client, sides.provider.email)

    page = client.get("/referrals?page=2").get_data(as_text=True)

    assert "page 2 of 3" in page
    assert 'href="/referrals?tab=new&amp;sort=oldest&amp;page=3" rel="next"' in page
    assert 'href="/referrals?tab=new&amp;sort=oldest&amp;page=1" rel="prev"' in page
    assert 'aria-label="Page 2" aria-current="page"' in page
    assert f'href="/referrals/{sides.referral.id}"' in client.get("/referrals?page=3").get_data(
        as_text=True
    )
    assert client.get(f"/referrals/{sides.referral.id}").status_code == 200


def test_the_inbox_row_unpacks_rows_in_the_order_of_inbox_row_fields() -> None:
    template = (
        Path(__file__).resolve().parents[2] / "templates/referrals/_inbox_fragments.html"
    ).read_text()
    unpacked = re.search(r"\{% set (.*?) = row %\}", template)
    assert unpacked, "the inbox row macro no longer unpacks its row"
    assert [name.strip() for name in unpacked.group(1).split(",")] == list(queries.InboxRow._fields)


def _row_cells(page: str, referral_id: int) -> tuple[str, list[str]]:
    """The row of the inbox table that links to ``referral_id``, and its cells as text."""
    row = re.search(
        rf'<tr class="govuk-table__row[^"]*">\s*<td[^>]*><a[^>]*href="/referrals/{referral_id}".*?</tr>',
        page,
        re.S,
    )
    assert row, f"no row for referral {referral_id}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    return row.group(0), [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_each_inbox_row_shows_its_own_fields_in_their_columns(
    client: FlaskClient, sides: Sides
) -> None:
    late = ReferralFactory(service=sides.service, sent_at=utcnow() - timedelta(days=10))
    db.session.add(ComplianceAlert(referral=late, missed_count=2))
    attended = AppointmentFactory(
        referral__service=sides.service,
        starts_at=utcnow() - timedelta(days=1),
        status=AppointmentStatus.ATTENDED,
    ).referral
    db.session.flush()
    sign_in(client, sides.provider.email)

    row, cells = _row_cells(client.get("/referrals").get_data(as_text=True), late.id)
    assert cells[:4] == [
        late.reference,
        late.person.reference,
        sides.service.name,
        late.agency.name,
    ]
    assert cells[4].endswith("10 days waiting")
    assert cells[5:] == ["New Overdue Non-compliance alert", "None recorded"]
    assert "app-inbox__row--overdue" in row

    row, cells = _row_cells(
        client.get("/referrals?tab=accepted").get_data(as_text=True), attended.id
    )
    assert cells[0] == attended.reference and "waiting" not in cells[4]
    assert cells[5:] == ["Accepted", "Attended 1 of 1"]
    assert "app-inbox__row--overdue" not in row
