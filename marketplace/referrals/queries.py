"""Reads for the referral inbox, the referrer's lists and the referral page.

The inbox is built to stay fast at a million referrals (``scripts/bench/inbox.py``): two
statements, built once per shape of filters and memoised. The tab counts are one
``GROUP BY state`` read in order from ``ix_referral_inbox_by_state (organisation_id,
state, sent_at, id)``, with the overdue count a range of the same index; the page first
picks 25 ids from the index whose order matches the sort (``*_by_state`` for one state,
``*_by_date`` for several), then joins the details of those rows only.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache
from threading import Lock
from typing import Any, NamedTuple
from urllib.parse import urlencode

from cachetools import TTLCache, cached
from flask import current_app
from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    DateTime,
    FromClause,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    cast,
    event,
    false,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Role, User
from marketplace.agencies.models import Agency
from marketplace.authz import organisation_ids
from marketplace.database import utcnow
from marketplace.directory.models import Location, Service
from marketplace.extensions import db
from marketplace.people.models import Person
from marketplace.referrals.models import (
    Appointment,
    AppointmentStatus,
    ComplianceAlert,
    Feedback,
    FeedbackAuthor,
    Message,
    Referral,
    ReferralEvent,
    ReferralState,
)
from marketplace.referrals.ratings import RATING_WORDS
from marketplace.referrals.sla import LONDON, overdue_cutoff
from marketplace.taxonomy.models import Need

PAGE_SIZE = 25


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    states: tuple[ReferralState, ...]


CLOSED = (
    ReferralState.DECLINED,
    ReferralState.COMPLETED,
    ReferralState.WITHDRAWN,
    ReferralState.CANCELLED,
)
VISIBLE = (ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, *CLOSED)

TABS: tuple[Tab, ...] = (
    Tab("new", "New", (ReferralState.SENT,)),
    Tab("accepted", "Accepted", (ReferralState.ACCEPTED,)),
    Tab("in_progress", "In progress", (ReferralState.IN_PROGRESS,)),
    Tab("closed", "Closed", CLOSED),
    Tab("all", "All", VISIBLE),
)
TAB_BY_KEY = {tab.key: tab for tab in TABS}

AGES = {
    "overdue": "Past the response target",
    "7": "Sent more than 7 days ago",
    "30": "Sent more than 30 days ago",
}
SORTS = {"oldest": "Oldest first", "newest": "Newest first"}


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is showing; built from the query string by the view. Frozen: the
    inbox's kept HTML is keyed by it (``inbox_fragments``)."""

    tab: str = "new"
    service_id: int | None = None
    location_id: int | None = None
    agency_id: int | None = None
    age: str | None = None
    reference: str | None = None
    sort: str = "oldest"
    page: int = 1
    scope: str = "organisation"  # provider: organisation; referrer: mine or agency

    def args(self, **overrides: Any) -> dict[str, Any]:
        """Query-string arguments for a link that keeps these filters."""
        values = {
            "tab": self.tab,
            "service": self.service_id,
            "location": self.location_id,
            "agency": self.agency_id,
            "age": self.age,
            "reference": self.reference,
            "sort": self.sort,
            "scope": self.scope if self.scope != "organisation" else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value not in (None, "")}

    def cleared(self) -> str:
        """The query string of the same tab (and whose referrals) with no filters."""
        return _query_string(
            (("tab", self.tab),)
            + ((("scope", self.scope),) if self.scope != "organisation" else ())
        )

    def query(self, **overrides: Any) -> str:
        """``args`` as a query string, for links built without ``url_for`` (a page has
        a dozen of them)."""
        return _query_string(tuple(self.args(**overrides).items()))


@lru_cache(maxsize=4096)
def _query_string(args: tuple[tuple[str, Any], ...]) -> str:
    # The same few filter combinations recur on every page and from page to page.
    return urlencode(args)


class InboxRow(NamedTuple):
    """One referral in the inbox, with what the response target makes of it. A tuple, so
    the inbox template unpacks its fields in the order below rather than looking each one
    up (a dozen attribute lookups a row were a tenth of the page's CPU)."""

    id: int
    reference: str
    state: ReferralState
    sent_at: datetime
    person_reference: str
    service_name: str
    agency_name: str
    referrer_name: str
    attendance: str | None  # "attended of recorded", e.g. "3 of 4"
    open_alerts: int
    overdue: bool  # still waiting for a response past the target
    days_waiting: int | None  # for referrals still waiting for a response


@dataclass
class Inbox:
    filters: InboxFilters
    counts: dict[str, int]
    overdue: int
    rows: Sequence[InboxRow]
    total: int
    cutoff: datetime
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max((self.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def page_numbers(self) -> list[int | None]:
        """The pages to link to, None marking a gap (an ellipsis), as the GOV.UK pagination
        pattern asks: the first and last pages, and the current page with its neighbours."""
        return page_numbers(min(max(self.filters.page, 1), self.pages), self.pages)


def page_numbers(current: int, last: int) -> list[int | None]:
    """``[1, None, 4, 5, 6, None, 42]`` for page 5 of 42; a gap of one page is shown as
    that page rather than an ellipsis."""
    shown = sorted({1, current - 1, current, current + 1, last} & set(range(1, last + 1)))
    numbers: list[int | None] = []
    previous = 0
    for number in shown:
        if number - previous == 2:
            numbers.append(number - 1)
        elif number - previous > 2:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


def response_cutoff(now: datetime | None = None) -> datetime:
    """Referrals in state sent with ``sent_at`` before this are past the response target."""
    return overdue_cutoff(now or utcnow(), current_app.config["RESPONSE_WORKING_DAYS"])


@dataclass(frozen=True)
class _Shape:
    """Which predicates an inbox statement has. The statements are built once per shape
    (``lru_cache``) with bound parameters for the values, so SQLAlchemy memoises their cache
    keys and psycopg can prepare them: building and compiling a statement cost more than
    running it."""

    scope: str  # organisation (one), organisations (several), referrer, agency, everyone or nobody
    service: bool = False
    location: bool = False
    agency: bool = False
    reference: bool = False
    age: str | None = None


def _scope_kind(user: User, scope: str, organisations: int) -> str:
    if user.role == Role.PROVIDER:
        return "organisation" if organisations == 1 else "organisations"
    if user.role == Role.REFERRER:
        return "referrer" if scope == "mine" else "agency"
    if user.role == Role.PLATFORM_ADMIN:
        return "everyone"
    return "nobody"


def _shape_and_values(
    user: User, filters: InboxFilters, cutoff: datetime, now: datetime
) -> tuple[_Shape, dict[str, Any]]:
    """The statement shape for ``filters`` and the values of its parameters."""
    organisations = sorted(organisation_ids(user))
    shape = _Shape(
        scope=_scope_kind(user, filters.scope, len(organisations)),
        service=bool(filters.service_id),
        location=bool(filters.location_id),
        agency=bool(filters.agency_id),
        reference=bool(filters.reference),
        age=filters.age if filters.age in AGES else None,
    )
    values: dict[str, Any] = {
        "cutoff": cutoff,
        "organisation_id": organisations[0] if organisations else None,
        "organisation_ids": organisations,
        "referrer_id": user.id,
        "own_agency_id": user.agency_id,
        "service_id": filters.service_id,
        "location_id": filters.location_id,
        "agency_id": filters.agency_id,
        "reference": _starts_with(filters.reference or ""),
    }
    if shape.age in ("7", "30"):
        values["sent_before"] = now - timedelta(days=int(shape.age))
    return shape, values


def _starts_with(prefix: str) -> str:
    """A LIKE pattern matching ``prefix`` literally at the start (escape character ``/``)."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _predicates(shape: _Shape, referrals: FromClause) -> list[Any]:
    """Scope and every filter except the tab (the tab counts must ignore it)."""
    referral = referrals.c
    predicates: list[Any] = []
    # No IN lists: SQLAlchemy re-renders a statement with an expanding IN parameter on
    # every execution, which cost more than the rest of the execution. A provider of one
    # organisation (nearly all) compares with =, which lets the index give the sort order.
    if shape.scope == "organisation":
        predicates.append(referral.organisation_id == bindparam("organisation_id"))
    elif shape.scope == "organisations":
        predicates.append(
            referral.organisation_id == any_(bindparam("organisation_ids", type_=ARRAY(Integer)))
        )
    elif shape.scope == "referrer":
        predicates.append(referral.referrer_id == bindparam("referrer_id"))
    elif shape.scope == "agency":
        predicates.append(referral.agency_id == bindparam("own_agency_id"))
    elif shape.scope == "nobody":
        predicates.append(false())
    if shape.service:
        predicates.append(referral.service_id == bindparam("service_id"))
    if shape.location:
        predicates.append(referral.location_id == bindparam("location_id"))
    if shape.agency:
        predicates.append(referral.agency_id == bindparam("agency_id"))
    if shape.reference:
        predicates.append(referral.reference.like(bindparam("reference"), escape="/"))
    if shape.age == "overdue":
        predicates.append(referral.state == ReferralState.SENT)
        predicates.append(referral.sent_at < bindparam("cutoff"))
    elif shape.age in ("7", "30"):
        predicates.append(referral.sent_at < bindparam("sent_before"))
    return predicates


@lru_cache(maxsize=256)
def _counts_statement(shape: _Shape) -> Select[Any]:
    """(state, count, overdue) for every state in scope, in one statement.

    Measured on the busiest provider (10,000 referrals): a ``GROUP BY state`` read in index
    order from ``ix_referral_inbox_by_state (organisation_id, state, ...)`` (an index-only
    scan, no hashing) with no predicate on the state at all costs about half of one
    ``COUNT(*) FILTER (WHERE state IN ...)`` per tab, which tests every row five times;
    drafts are counted and ignored. The overdue count is a range of the same index, in a
    scalar subquery so it stays in the same round trip.
    """
    referral = Referral.__table__
    waiting = referral.alias("waiting")
    overdue = (
        select(func.count())
        .where(
            waiting.c.state == ReferralState.SENT,
            waiting.c.sent_at < bindparam("cutoff"),
            *_predicates(shape, waiting),
        )
        .scalar_subquery()
    )
    return (
        select(referral.c.state, func.count(), overdue.label("overdue"))
        .where(*_predicates(shape, referral))
        .group_by(referral.c.state)
    )


@lru_cache(maxsize=512)
def _page_statement(shape: _Shape, tab: str, sort: str) -> Select[Any]:
    """One page of a tab: the ids are picked in date order from an index that matches
    the sort (``ix_referral_inbox_by_state`` for one state, ``ix_referral_inbox_by_date`` for
    several), then only those rows are joined to their details."""
    referral = Referral.__table__.c
    ascending = sort == "oldest"
    ids = (
        select(referral.id, referral.sent_at)
        .where(
            _one_of(referral.state, TAB_BY_KEY[tab].states), *_predicates(shape, Referral.__table__)
        )
        .order_by(
            referral.sent_at.asc() if ascending else referral.sent_at.desc(),
            referral.id.asc() if ascending else referral.id.desc(),
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    person, service = Person.__table__.c, Service.__table__.c
    agency, referrer = Agency.__table__.c, User.__table__.c
    return (
        select(
            referral.id,
            referral.reference,
            referral.state,
            referral.sent_at,
            person.reference.label("person_reference"),
            service.name.label("service_name"),
            agency.name.label("agency_name"),
            referrer.name.label("referrer_name"),
            _attendance_column(),
            _open_alerts_column(),
            *_waiting_columns(referral),
        )
        .select_from(ids)
        .join(Referral.__table__, referral.id == ids.c.id)
        .join(Person.__table__, person.id == referral.person_id)
        .join(Service.__table__, service.id == referral.service_id)
        .join(Agency.__table__, agency.id == referral.agency_id)
        .join(User.__table__, referrer.id == referral.referrer_id)
        .order_by(
            ids.c.sent_at.asc() if ascending else ids.c.sent_at.desc(),
            ids.c.id.asc() if ascending else ids.c.id.desc(),
        )
    )


def _one_of(column: Any, values: Sequence[enum.StrEnum]) -> Any:
    """``column IN (values)`` without an expanding parameter: = for one value, = ANY of an
    array of constants for several (which is what PostgreSQL makes of an IN list)."""
    if len(values) == 1:
        return column == values[0]
    return column == any_(array([literal(value.value) for value in values]))


def inbox(user: User, filters: InboxFilters, now: datetime | None = None) -> Inbox:
    """The tab counts and one page of referrals ``user`` may see, under ``filters``:
    two statements, whatever the filters."""
    now = now or utcnow()
    cutoff = response_cutoff(now)
    tab = TAB_BY_KEY.get(filters.tab, TABS[0])
    shape, values = _shape_and_values(user, filters, cutoff, now)
    connection = db.session.connection()
    by_state: dict[str, int] = {}
    overdue = 0
    # .all() fetches every row in one driver call; iterating the result fetches each alone.
    for state, count, late in connection.execute(_counts_statement(shape), values).all():
        by_state[state] = count
        overdue = late
    counts = {t.key: sum(by_state.get(state, 0) for state in t.states) for t in TABS}
    page = max(filters.page, 1)
    rows = connection.execute(
        _page_statement(shape, tab.key, filters.sort if filters.sort in SORTS else "oldest"),
        {**values, "now": now, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    ).all()
    return Inbox(
        filters,
        counts,
        overdue,
        [InboxRow._make(row) for row in rows],
        counts[tab.key],
        cutoff,
    )


def _waiting_columns(referral: Any) -> tuple[Any, Any]:
    """Whether a referral is past the response target, and for how many whole days one
    still waiting for a response has waited: the same rule as the overdue count."""
    waiting = referral.state == ReferralState.SENT
    overdue = and_(waiting, referral.sent_at < bindparam("cutoff")).label("overdue")
    days = func.date_part("day", bindparam("now", type_=DateTime(timezone=True)) - referral.sent_at)
    days_waiting = case((waiting, cast(days, Integer)), else_=None).label("days_waiting")
    return overdue, days_waiting


def _attendance_column() -> Any:
    """ "attended of recorded" for the outer referral, e.g. "3 of 4", as a text column."""
    appointment = Appointment.__table__.c
    recorded = (
        select(
            func.concat(
                func.count().filter(
                    _one_of(
                        appointment.status, [AppointmentStatus.ATTENDED, AppointmentStatus.LATE]
                    )
                ),
                " of ",
                func.count(),
            )
        )
        .where(
            appointment.referral_id == Referral.__table__.c.id,
            _one_of(
                appointment.status,
                [
                    AppointmentStatus.ATTENDED,
                    AppointmentStatus.LATE,
                    AppointmentStatus.DID_NOT_ATTEND,
                ],
            ),
        )
        .scalar_subquery()
    )
    return recorded.label("attendance")


def _open_alerts_column() -> Any:
    alert = ComplianceAlert.__table__.c
    return (
        select(func.count())
        .where(
            alert.referral_id == Referral.__table__.c.id,
            alert.decision.is_(None),
            alert.withdrawn_at.is_(None),
        )
        .scalar_subquery()
        .label("open_alerts")
    )


FilterChoices = dict[str, tuple[tuple[int, str], ...]]
NO_FILTER_CHOICES: FilterChoices = {"services": (), "locations": (), "agencies": ()}

# The filter lists change rarely (a service, location or agency added or renamed) and are
# read on every inbox page. Kept per process for a minute, and dropped at once when this
# process flushes a change to any of them (see forget_filter_choices); other processes
# catch up within the minute.
FILTER_CHOICES_SECONDS = 60


def filter_choices(user: User) -> FilterChoices:
    """Services, locations and agencies to filter by, for the user's scope: the provider's
    own services and locations and every agency, each in name order. Shared between
    requests: never mutate the answer."""
    if user.role != Role.PROVIDER:
        return NO_FILTER_CHOICES
    return _filter_choices_of(tuple(sorted(organisation_ids(user))))


@cached(TTLCache(maxsize=4096, ttl=FILTER_CHOICES_SECONDS), lock=Lock())
def _filter_choices_of(organisation_ids: tuple[int, ...]) -> FilterChoices:
    choices: dict[str, list[tuple[int, str]]] = {"services": [], "locations": [], "agencies": []}
    rows = db.session.connection().execute(
        _filter_choices_statement(), {"organisation_ids": list(organisation_ids)}
    )
    for kind, ident, name in rows:
        choices[kind].append((ident, name))
    return {kind: tuple(options) for kind, options in choices.items()}


def forget_filter_choices(session: Session, flush_context: Any) -> None:
    """Drop this process's cached filter lists when a flush adds, changes or deletes a
    service, location or agency (a rolled-back change only costs a re-read)."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Service | Location | Agency):
            forget_filter_choices_now()
            return


def forget_filter_choices_now() -> None:
    """Drop this process's cached filter lists (after changes made without the ORM)."""
    _filter_choices_of.cache_clear()


def install() -> None:
    """Listen on every SQLAlchemy session for changes to the filter lists (idempotent)."""
    if not event.contains(Session, "after_flush", forget_filter_choices):
        event.listen(Session, "after_flush", forget_filter_choices)


@cache
def _filter_choices_statement() -> CompoundSelect:
    """The provider's services and locations and every agency, as (kind, id, name) in name
    order: one round trip instead of three. Built once, so SQLAlchemy's compiled cache key
    is memoised on it."""
    service, location, agency = Service.__table__.c, Location.__table__.c, Agency.__table__.c
    organisations: BindParameter[list[int]] = bindparam("organisation_ids", expanding=True)
    return union_all(
        select(literal("services").label("kind"), service.id, service.name).where(
            service.organisation_id.in_(organisations)
        ),
        select(literal("locations"), location.id, location.name).where(
            location.organisation_id.in_(organisations)
        ),
        select(literal("agencies"), agency.id, agency.name),
    ).order_by(literal_column("name"))


@dataclass
class ReferralPage:
    """Everything the referral page shows, read in a few small queries."""

    referral: Referral
    needs: list[Need]
    appointments: list[Appointment]
    messages: list[Message]
    events: list[ReferralEvent]
    alerts: list[ComplianceAlert]
    feedback: dict[str, Feedback]


def referral_page(referral: Referral) -> ReferralPage:
    needs = (
        list(
            db.session.scalars(
                select(Need).where(Need.code.in_(referral.need_codes)).order_by(Need.position)
            )
        )
        if referral.need_codes
        else []
    )
    messages = list(
        db.session.scalars(
            select(Message).where(Message.referral_id == referral.id).order_by(Message.id)
        )
    )
    events = list(
        db.session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.id)
        )
    )
    alerts = list(
        db.session.scalars(
            select(ComplianceAlert)
            .where(ComplianceAlert.referral_id == referral.id)
            .order_by(ComplianceAlert.id)
        )
    )
    feedback = {
        f.author_kind.value: f
        for f in db.session.scalars(
            select(Feedback).where(
                Feedback.referral_id == referral.id, Feedback.appointment_id.is_(None)
            )
        )
    }
    return ReferralPage(
        referral, needs, list(referral.appointments), messages, events, alerts, feedback
    )


def service_feedback(user: User, page: int = 1) -> tuple[list[Feedback], int]:
    """Ratings and comments on the services of the user's organisations, newest first."""
    query = (
        select(Feedback)
        .join(Service, Service.id == Feedback.service_id)
        .where(Service.organisation_id.in_(sorted(organisation_ids(user))))
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.session.scalars(
            query.order_by(Feedback.created_at.desc(), Feedback.id.desc())
            .limit(PAGE_SIZE)
            .offset((max(page, 1) - 1) * PAGE_SIZE)
        )
    )
    return rows, total


def services_rated(user: User) -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.organisation_id.in_(sorted(organisation_ids(user))))
            .order_by(Service.name)
        )
    )


# Who gave a shared comment, as the service page says it: a kind, never a name.
SHARED_AUTHOR_LABELS = {
    FeedbackAuthor.REFERRER: "A referrer",
    FeedbackAuthor.PERSON: "The person referred",
}
SHARED_PAGE_SIZE = 10


@dataclass(frozen=True)
class SharedComment:
    """One comment as the service page shows it. Only these fields reach the template:
    no names, no referral reference, nothing about the person."""

    author: str  # "A referrer", "The person referred"
    month: str  # "March 2026": not the exact date, which could point to one referral
    rating: int
    rating_words: str  # "Good"
    comments: str
    reply: str | None
    replied_by: str  # the organisation's name


@dataclass(frozen=True)
class SharedComments:
    comments: list[SharedComment]
    total: int
    page: int
    pages: int


def shared_comments(service: Service, page: int = 1) -> SharedComments:
    """The comments shared on ``service``'s page and not hidden, newest first, one page
    of ``SHARED_PAGE_SIZE`` (a page past the end shows the last)."""
    shown = (Feedback.service_id == service.id, Feedback.shared, Feedback.hidden_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(Feedback).where(*shown)) or 0
    pages = max((total + SHARED_PAGE_SIZE - 1) // SHARED_PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(
            Feedback.author_kind,
            Feedback.created_at,
            Feedback.rating,
            Feedback.comments,
            Feedback.provider_reply,
        )
        .where(*shown)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(SHARED_PAGE_SIZE)
        .offset((page - 1) * SHARED_PAGE_SIZE)
    ).all()
    organisation = service.organisation.name
    return SharedComments(
        [
            SharedComment(
                author=SHARED_AUTHOR_LABELS[FeedbackAuthor(kind)],
                month=created_at.astimezone(LONDON).strftime("%B %Y"),
                rating=rating,
                rating_words=RATING_WORDS[rating],
                comments=comments,
                reply=reply,
                replied_by=organisation,
            )
            for kind, created_at, rating, comments, reply in rows
        ],
        total,
        page,
        pages,
    )


def moderation_list(page: int = 1) -> tuple[list[Feedback], int]:
    """Every shared comment, hidden ones too, newest first, for the platform admin."""
    query = select(Feedback).where(Feedback.shared)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.session.scalars(
            query.options(
                selectinload(Feedback.service).selectinload(Service.organisation),
                selectinload(Feedback.hidden_by),
            )
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
            .limit(PAGE_SIZE)
            .offset((max(page, 1) - 1) * PAGE_SIZE)
        )
    )
    return rows, total


def author_label(kind: FeedbackAuthor | str) -> str:
    return {
        "referrer": "Referrer",
        "provider": "Provider",
        "person": "Person referred",
    }[str(kind)]


def attendance_summary(appointments: Sequence[Appointment]) -> dict[str, int]:
    """Counts by attendance status, for the referral page and the API."""
    summary = {"attended": 0, "late": 0, "did_not_attend": 0, "scheduled": 0}
    for appointment in appointments:
        if appointment.status.value in summary:
            summary[appointment.status.value] += 1
    return summary
