"""Sending referrals from an assessment: the one place a ``Referral`` is created.

:func:`send_referrals` promises, for one or several services at once:

- **all or nothing**: every referral is written, with its timeline event, audit event and
  the provider's e-mail in the outbox, or none is (a savepoint is rolled back);
- **idempotent**: each referral carries the referrer's idempotency key (unique per
  referrer in the database); a retry or double click returns the referrals already made;
- **eligible**: each service is checked again by ``matching`` when sent, whatever the page
  showed, so an edited URL or a service that changed cannot slip through;
- **one open referral** of a person to a service (partial unique index
  ``uq_referral_open_person_service``): a second is refused, naming the first;
- **never overbooked**: a place is taken by one conditional UPDATE, so concurrent
  referrals cannot take more places than the service has; when none is left the referral
  is refused with an offer of the waiting list.

Services flush and never commit: the view or API ends the unit of work with
``marketplace.jobs.commit()``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from flask import has_request_context
from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import utcnow
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.matches.facts import PersonPlace, person_place
from marketplace.matches.queries import (
    check_services,
    is_listed,
    open_referrals,
    suggested_reason,
)
from marketplace.notifications.services import notify_email
from marketplace.organisations.models import MembershipRole
from marketplace.people.answers import matching_needs
from marketplace.people.models import AssessmentStatus, NeedsAssessment
from marketplace.people.queries import need_names
from marketplace.referrals.models import OPEN_STATES, Referral, ReferralState
from marketplace.referrals.timeline import add_event
from marketplace.template_globals import url_for_safe
from marketplace.vocabulary import CapacityStatus
from matching import Match, needs_met
from search.sync import mark_for_reindex

log = logging.getLogger(__name__)

# What sending reads of the assessment (the person's facts and the assessed needs), to
# load with it in one query: pass to ``db.session.get`` or ``get_or_404``.
ASSESSMENT_TO_SEND = (joinedload(NeedsAssessment.person), joinedload(NeedsAssessment.needs))

# No 0/O or 1/I: references are read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    """A random human reference such as ``PW-7K3M9Q`` (about 10⁹ possibilities; the
    database's unique constraint catches the rare repeat and a new one is drawn)."""
    return "PW-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


@dataclass(frozen=True)
class ReferralRequest:
    """One referral to send: to ``service_id``, for ``need_codes`` (assessed needs the
    service meets; None: every one it meets), with the referrer's ``reason`` (None: the
    assessment's summary and notes, see ``queries.suggested_reason``).

    ``idempotency_key`` makes a retry return this referral rather than make another.
    ``join_waiting_list`` accepts the waiting list if the service has no place left.
    ``service_version`` is the version of the service the referrer saw; if the service
    has changed since, the referral is refused so that they can look again.
    """

    service_id: int
    need_codes: tuple[str, ...] | None
    reason: str | None
    idempotency_key: str
    join_waiting_list: bool = False
    service_version: int | None = None


@dataclass(frozen=True)
class Problem:
    """Why one referral cannot be sent: a message for people, a ``code`` for programs,
    the ``field`` it is about, the service (if any) and an ``existing`` open referral
    (for "already referred")."""

    message: str
    code: str
    field: str
    service_id: int | None = None
    existing: Referral | None = None

    def __str__(self) -> str:
        return self.message


# What each kind of problem means for an API client.
CONFLICTS = {
    "already_referred",
    "no_places",
    "service_changed",
    "assessment_not_current",
    "in_progress",
}


class ReferralRefused(Exception):
    """Nothing was sent; ``problems`` says why, per service where it applies."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)

    @property
    def status(self) -> int:
        """The HTTP status that fits: 404 unknown service, 409 a conflict with the current
        state (already referred, full, changed), else 422."""
        codes = {problem.code for problem in self.problems}
        if "not_found" in codes:
            return 404
        if codes & CONFLICTS:
            return 409
        return 422


@dataclass
class SentReferrals:
    """The referrals made (or found again, when ``replayed``), in the order asked."""

    referrals: list[Referral] = field(default_factory=list)
    replayed: bool = False


class _Replay(Exception):
    """A concurrent request with the same idempotency key committed first."""


@dataclass(frozen=True)
class _Earlier:
    """Referrals already in the way of new ones: by idempotency key (this referrer's),
    and the person's open referrals by service."""

    by_key: dict[str, Referral]
    open_by_service: dict[int, Referral]


def _earlier_referrals(
    requests: Sequence[ReferralRequest], referrer: User, person_id: int | None
) -> _Earlier:
    """The referrals made earlier with these requests' keys, and (given ``person_id``) the
    person's open referrals to these services: one query for both."""
    keys = [r.idempotency_key for r in requests]
    ids = [r.service_id for r in requests]
    by_key = and_(Referral.referrer_id == referrer.id, Referral.idempotency_key.in_(keys))
    condition = by_key
    if person_id is not None:
        condition = or_(
            by_key,
            and_(
                Referral.person_id == person_id,
                Referral.service_id.in_(ids),
                Referral.state.in_(OPEN_STATES),
            ),
        )
    found = list(db.session.scalars(select(Referral).where(condition)))
    return _Earlier(
        by_key={
            r.idempotency_key: r
            for r in found
            if r.referrer_id == referrer.id and r.idempotency_key in keys
        },
        open_by_service={
            r.service_id: r
            for r in found
            if r.person_id == person_id and r.service_id in ids and r.state in OPEN_STATES
        },
    )


def _already_sent(requests: Sequence[ReferralRequest], existing: dict[str, Referral]) -> None:
    """Raises ReferralRefused if a key in ``existing`` was used for a different service."""
    problems = [
        Problem(
            "This idempotency key was already used for a referral to a different service",
            code="key_reused",
            field="idempotency_key",
            service_id=r.service_id,
        )
        for r in requests
        if r.idempotency_key in existing and existing[r.idempotency_key].service_id != r.service_id
    ]
    if problems:
        raise ReferralRefused(problems)


def _check_assessment(assessment: NeedsAssessment, consent: bool) -> list[Problem]:
    problems = []
    if assessment.status == AssessmentStatus.SUPERSEDED:
        problems.append(
            Problem(
                "This assessment has been replaced by a newer version. "
                "Refer from the current assessment's matches",
                code="assessment_not_current",
                field="assessment",
            )
        )
    elif assessment.status != AssessmentStatus.COMPLETE:
        problems.append(
            Problem(
                "Complete the needs assessment before referring",
                code="assessment_not_current",
                field="assessment",
            )
        )
    if not consent:
        problems.append(
            Problem(
                "Confirm that the person has agreed to be referred",
                code="consent",
                field="consent",
            )
        )
    return problems


def _check_request(
    request: ReferralRequest,
    match: Match | None,
    service: Service | None,
    assessed: dict[str, int],
    open_referral: Referral | None,
) -> list[Problem]:
    """Everything that can be known before writing; places are checked when taken."""
    sid = request.service_id
    if match is None or service is None or not is_listed(match.service):
        return [
            Problem(
                "There is no service with that id",
                code="not_found",
                field="service",
                service_id=sid,
            )
        ]
    name = service.name
    if not match.eligible:
        reasons = "; ".join(refusal.message for refusal in match.eligibility.refusals)
        return [
            Problem(
                f"{name} cannot take this referral: {reasons}",
                code="not_eligible",
                field="service",
                service_id=sid,
            )
        ]
    problems = []
    if request.service_version is not None and request.service_version != service.version:
        problems.append(
            Problem(
                f"{name} changed its details since you opened this page. Check them and send again",
                code="service_changed",
                field="service",
                service_id=sid,
            )
        )
    if open_referral is not None:
        problems.append(
            Problem(
                f"This person already has an open referral to {name} ({open_referral.reference})",
                code="already_referred",
                field="service",
                service_id=sid,
                existing=open_referral,
            )
        )
    need_codes = request.need_codes or ()
    if not need_codes:
        problems.append(
            Problem(
                f"Select at least one need the referral to {name} is for",
                code="needs",
                field="need_codes",
                service_id=sid,
            )
        )
    unassessed = [code for code in need_codes if code not in assessed]
    unmet = set(need_codes) - set(unassessed) - set(needs_met(need_codes, match.service.need_codes))
    if unassessed or unmet:
        problems.append(
            Problem(
                f"Select only needs in the assessment that {name} meets",
                code="needs",
                field="need_codes",
                service_id=sid,
            )
        )
    if not (request.reason or "").strip():
        problems.append(
            Problem(
                f"Enter the reason for referring to {name}",
                code="reason",
                field="reason",
                service_id=sid,
            )
        )
    return problems


def _resolved(
    request: ReferralRequest,
    match: Match | None,
    assessment: NeedsAssessment,
    assessed: dict[str, int],
    names: dict[str, str],
) -> ReferralRequest:
    """The request with its defaults filled in from the assessment."""
    if match is None:
        return request
    need_codes = request.need_codes
    if need_codes is None:
        met = needs_met(assessed, match.service.need_codes)
        need_codes = tuple(sorted(met, key=lambda code: (-assessed[code], code)))
    reason = request.reason
    if reason is None:
        reason = suggested_reason(assessment, need_codes, names)
    return replace(request, need_codes=need_codes, reason=reason)


def _wants_waiting_list(service: Service, request: ReferralRequest) -> bool:
    """Whether the referral joins the waiting list rather than taking a place."""
    if service.capacity_status == CapacityStatus.WAITING_LIST:
        return True
    return request.join_waiting_list and service.capacity is not None


class _ReferenceTaken(Exception):
    """A new reference collided with an existing one (about one in 10⁹): write again."""


def _insert_all(referrals: Sequence[Referral]) -> None:
    """Insert the referrals (in the caller's savepoint), translating the database's
    unique constraints: _Replay for a concurrent request with the same key,
    ReferralRefused if the person has just been referred to the service by someone else,
    _ReferenceTaken for a reference drawn twice."""
    db.session.add_all(referrals)
    try:
        db.session.flush()
    except IntegrityError as error:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
        if constraint == "uq_referral_reference":
            raise _ReferenceTaken from error
        if constraint == "uq_referral_referrer_id":
            raise _Replay from error
        if constraint == "uq_referral_open_person_service":
            raise _RaceLost from error
        raise


class _RaceLost(Exception):
    """Someone else referred this person to one of the services a moment ago."""


def _take_place(service: Service) -> bool:
    """Take one of the service's places if one is free: a single conditional UPDATE, so
    concurrent referrals queue on the row and each sees the count the last one left.

    A Core statement with the search index marked here: through the ORM session, the
    search listener would first SELECT the rows the UPDATE may touch."""
    session = db.session()
    table = cast(Table, Service.__table__)
    result = session.connection().execute(
        update(table)
        .where(
            table.c.id == service.id,
            table.c.capacity.is_not(None),
            table.c.places_taken < table.c.capacity,
        )
        .values(places_taken=table.c.places_taken + 1, updated_at=func.now())
        .returning(table.c.id)
    )
    taken = result.first()
    db.session.expire(service, ["places_taken"])
    if taken is None:
        return False
    mark_for_reindex(session, [service.id], "place taken")
    return True


def _no_places(service: Service) -> Problem:
    return Problem(
        f"{service.name} has no places left. You can add the person to its waiting list instead",
        code="no_places",
        field="join_waiting_list",
        service_id=service.id,
    )


def _provider_recipients(service: Service) -> list[str]:
    """Where the provider wants referrals: the service's address, else the
    organisation's, else its admins'."""
    if service.contact_email:
        return [service.contact_email]
    if service.organisation.email:
        return [service.organisation.email]
    return sorted(
        m.user.email
        for m in service.organisation.memberships
        if m.role == MembershipRole.ADMIN and m.user.active
    )


def _announce(referral: Referral, service: Service, referrer: User, names: dict[str, str]) -> None:
    waiting = " (waiting list)" if referral.on_waiting_list else ""
    add_event(referral, "sent", f"Referral sent to {service.name}{waiting}", actor=referrer)
    record(
        "referral_sent",
        referral,
        actor=referrer,
        service_id=service.id,
        holds_place=referral.holds_place,
        on_waiting_list=referral.on_waiting_list,
    )
    link = None
    if has_request_context():
        link = url_for_safe("referrals.detail", referral_id=referral.id, _external=True)
    # The e-mail carries the reference only: details stay behind sign-in.
    for recipient in _provider_recipients(service):
        notify_email(
            "referral_received",
            recipient,
            {
                "organisation_name": service.organisation.name,
                "service_name": service.name,
                "reference": referral.reference,
                "needs": ", ".join(names.get(c, c) for c in referral.need_codes),
                "waiting_list": "yes" if referral.on_waiting_list else "no",
                "link": link or "Sign in to Pathways and open your referrals",
            },
        )


@dataclass(frozen=True)
class _Checked:
    """A request that passed every check, with its defaults filled in, and the
    service's location nearest the person (where the referral is pinned)."""

    request: ReferralRequest
    service: Service
    location_id: int | None


def _checked_requests(
    assessment: NeedsAssessment,
    requests: Sequence[ReferralRequest],
    place: PersonPlace,
    names: dict[str, str],
    already: dict[int, Referral],
) -> list[_Checked]:
    """Every request checked against the assessment and the services as they are now.
    Raises ReferralRefused with every problem found."""
    ids = [r.service_id for r in requests]
    named = check_services(assessment, ids, place)
    matches = {m.service.service_id: m for m in named.matches}
    services = {
        s.id: s
        for s in db.session.scalars(
            select(Service).where(Service.id.in_(ids)).options(joinedload(Service.organisation))
        )
    }
    assessed = matching_needs(assessment)
    checked, problems = [], []
    for request in requests:
        match = matches.get(request.service_id)
        request = _resolved(request, match, assessment, assessed, names)
        service = services.get(request.service_id)
        problems += _check_request(
            request, match, service, assessed, already.get(request.service_id)
        )
        if service is not None:
            checked.append(_Checked(request, service, named.nearest_location.get(service.id)))
    if problems:
        raise ReferralRefused(problems)
    return checked


def _write(
    assessment: NeedsAssessment,
    checked: Sequence[_Checked],
    *,
    referrer: User,
    contact_preference: str,
    names: dict[str, str],
) -> dict[int, Referral]:
    """Insert the referrals, take their places, and record them, all in one savepoint
    that is rolled back if any of it fails. Returns them by service id."""
    now = utcnow()
    made: dict[int, Referral] = {}
    with db.session.begin_nested():
        for request, service, location_id in sorted(
            ((c.request, c.service, c.location_id) for c in checked), key=lambda c: c[1].id
        ):
            waiting = _wants_waiting_list(service, request)
            made[service.id] = Referral(
                reference=new_reference(),
                person_id=assessment.person_id,
                assessment_id=assessment.id,
                service=service,
                organisation=service.organisation,
                location_id=location_id,
                referrer_id=referrer.id,
                agency_id=referrer.agency_id,
                state=ReferralState.SENT,
                need_codes=list(request.need_codes or ()),
                reason=(request.reason or "").strip(),
                contact_preference=contact_preference.strip()[:200],
                consent_recorded_at=assessment.consent_recorded_at or now,
                idempotency_key=request.idempotency_key,
                holds_place=service.capacity is not None and not waiting,
                on_waiting_list=waiting,
                sent_at=now,
            )
        _insert_all([made[sid] for sid in sorted(made)])
        # Places last, in service order: row locks are held for the shortest time and
        # two bulk referrals cannot wait on each other.
        full = [
            referral.service
            for _sid, referral in sorted(made.items())
            if referral.holds_place and not _take_place(referral.service)
        ]
        if full:
            raise ReferralRefused([_no_places(service) for service in full])
        for _sid, referral in sorted(made.items()):
            _announce(referral, referral.service, referrer, names)
    return made


def _already_referred_now(
    assessment: NeedsAssessment, checked: Sequence[_Checked]
) -> ReferralRefused:
    existing = open_referrals(assessment.person_id, [c.service.id for c in checked])
    return ReferralRefused(
        [
            Problem(
                f"This person has just been referred to {c.service.name} by a colleague "
                f"({existing[c.service.id].reference})",
                code="already_referred",
                field="service",
                service_id=c.service.id,
                existing=existing[c.service.id],
            )
            for c in checked
            if c.service.id in existing
        ]
    )


def _write_with_fresh_references(
    assessment: NeedsAssessment, checked: Sequence[_Checked], **options: Any
) -> dict[int, Referral]:
    for _attempt in range(3):
        try:
            return _write(assessment, checked, **options)
        except _ReferenceTaken:
            continue
    raise RuntimeError("Could not draw unused referral references")


def send_referrals(
    assessment: NeedsAssessment,
    requests: Sequence[ReferralRequest],
    *,
    referrer: User,
    contact_preference: str,
    consent: bool,
) -> SentReferrals:
    """Send a referral for each request (see the module docstring for the promises).

    Requests whose idempotency key was already used return the referral made then; if
    every one was, the result is marked ``replayed``. Raises ReferralRefused, with every
    problem found, when any referral cannot be sent; then nothing has been written.
    """
    if not requests:
        raise ReferralRefused(
            [Problem("Select at least one service to refer to", code="needs", field="service")]
        )
    earlier = _earlier_referrals(requests, referrer, assessment.person_id)
    existing = earlier.by_key
    _already_sent(requests, existing)
    todo = [r for r in requests if r.idempotency_key not in existing]
    if not todo:
        return SentReferrals([existing[r.idempotency_key] for r in requests], replayed=True)
    problems = _check_assessment(assessment, consent)
    if len({r.service_id for r in todo}) < len(todo):
        problems.append(
            Problem("Each service can be chosen only once", code="needs", field="service")
        )
    if problems:
        raise ReferralRefused(problems)

    place = person_place(assessment.person_id)
    names = need_names()
    checked = _checked_requests(assessment, todo, place, names, earlier.open_by_service)
    try:
        made = _write_with_fresh_references(
            assessment,
            checked,
            referrer=referrer,
            contact_preference=contact_preference,
            names=names,
        )
    except _RaceLost:
        raise _already_referred_now(assessment, checked) from None
    except _Replay:
        # The same keys were sent at the same moment and that request committed first.
        existing = _earlier_referrals(requests, referrer, None).by_key
        _already_sent(requests, existing)
        if all(r.idempotency_key in existing for r in requests):
            return SentReferrals([existing[r.idempotency_key] for r in requests], replayed=True)
        raise ReferralRefused(
            [
                Problem(
                    "These referrals are being sent from another window. Check the "
                    "person's referrals before sending again",
                    code="in_progress",
                    field="service",
                )
            ]
        ) from None
    by_key = {referral.idempotency_key: referral for referral in made.values()}
    return SentReferrals(
        [existing.get(r.idempotency_key) or by_key[r.idempotency_key] for r in requests]
    )
