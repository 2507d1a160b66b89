"""Organisation writes: sign-up, details, verification decisions and the team.

Every function flushes and never commits; the caller ends the unit of work with
``marketplace.jobs.commit()``. Each state change writes an audit event and, where the
provider must hear about it, an outbox e-mail in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.services import find_user_by_email
from marketplace.audit.services import record
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.geography.models import Area
from marketplace.notifications.services import notify_email
from marketplace.organisations.models import (
    CHECKED_FIELD_LABELS,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    VerificationStatus,
)

# England and Wales (6 or 7 digits), Scotland (SC + 6 digits), Northern Ireland (NIC + 6).
CHARITY_NUMBER = re.compile(r"^(\d{6,7}|SC\d{6}|NIC\d{6})$")
# Companies House: 8 digits, or a 2-letter prefix (SC, NI, OC, ...) and 6 digits.
COMPANY_NUMBER = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")

ORGANISATION_FIELDS = (
    "name",
    "charity_number",
    "company_number",
    "description",
    "website",
    "email",
    "phone",
    "safeguarding_lead_name",
    "safeguarding_lead_email",
)
# The details a platform admin checks when verifying (against the Charity Commission or
# Companies House register, and the safeguarding lead): changing one after verification
# puts the change in front of an admin again.
CHECKED_FIELDS = frozenset(CHECKED_FIELD_LABELS)


class OrganisationError(ValueError):
    """A write was refused; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_charity_number(text: str | None) -> str | None:
    """Upper case without spaces; None for blank. Raises OrganisationError if malformed."""
    value = re.sub(r"\s+", "", text or "").upper()
    if not value:
        return None
    if not CHARITY_NUMBER.match(value):
        raise OrganisationError(
            "Enter a charity number in the correct format, like 1123456 or SC012345",
            "charity_number",
        )
    return value


def normalise_company_number(text: str | None) -> str | None:
    """Companies House numbers are 8 characters: short all-digit numbers get their
    leading zeros back. None for blank; raises OrganisationError if malformed."""
    value = re.sub(r"\s+", "", text or "").upper()
    if not value:
        return None
    if value.isdigit() and len(value) < 8:
        value = value.zfill(8)
    if not COMPANY_NUMBER.match(value):
        raise OrganisationError(
            "Enter a company number in the correct format, like 01234567 or SC123456",
            "company_number",
        )
    return value


def _check_unique(organisation: Organisation | None, field: str, value: str | None) -> None:
    if value is None:
        return
    column = getattr(Organisation, field)
    query = select(Organisation.id).where(column == value)
    if organisation is not None and organisation.id is not None:
        query = query.where(Organisation.id != organisation.id)
    if db.session.scalar(query) is not None:
        kind = "charity" if field == "charity_number" else "company"
        raise OrganisationError(
            f"An organisation with {kind} number {value} is already registered. "
            "Ask its administrator to invite you",
            field,
        )


def _apply_details(organisation: Organisation, details: dict[str, Any]) -> dict[str, Any]:
    """Set the organisation's fields from ``details``; returns what changed (old, new)."""
    cleaned = dict(details)
    # Only the fields given change: a partial update must not blank the numbers.
    if "charity_number" in details or organisation.id is None:
        cleaned["charity_number"] = normalise_charity_number(details.get("charity_number"))
        _check_unique(organisation, "charity_number", cleaned["charity_number"])
    if "company_number" in details or organisation.id is None:
        cleaned["company_number"] = normalise_company_number(details.get("company_number"))
        _check_unique(organisation, "company_number", cleaned["company_number"])
    changes: dict[str, Any] = {}
    for field in ORGANISATION_FIELDS:
        if field not in cleaned:
            continue
        value = cleaned[field]
        if isinstance(value, str):
            value = value.strip() or (None if field != "name" and field != "description" else "")
        if getattr(organisation, field) != value:
            changes[field] = [getattr(organisation, field), value]
            setattr(organisation, field, value)
    if "area_ids" in details:
        wanted = set(details["area_ids"] or [])
        current = {area.id for area in organisation.areas}
        if wanted != current:
            organisation.areas = (
                list(db.session.scalars(select(Area).where(Area.id.in_(wanted)))) if wanted else []
            )
            changes["area_ids"] = [sorted(current), sorted(wanted)]
    return changes


def _flush_unique(organisation: Organisation) -> None:
    """Flush, turning a lost race on a unique number into the same error as the check."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        field = "company_number" if "company_number" in str(error.orig) else "charity_number"
        raise OrganisationError(
            "An organisation with this number is already registered. "
            "Ask its administrator to invite you",
            field,
        ) from error


@dataclass(frozen=True)
class NewAccount:
    name: str
    email: str
    password: str


def sign_up(account: NewAccount, details: dict[str, Any]) -> tuple[User, Organisation]:
    """Create the first provider admin and their organisation, pending verification.

    Raises OrganisationError (with the field at fault) for a taken e-mail address,
    a malformed or already-registered charity or company number.
    """
    if find_user_by_email(account.email) is not None:
        raise OrganisationError(
            "An account with this email address already exists. Sign in to add an organisation",
            "email",
        )
    organisation = Organisation(status=VerificationStatus.PENDING)
    _apply_details(organisation, details)
    user = User(
        name=account.name.strip(),
        email=account.email.strip(),
        password_hash=hash_password(account.password),
        role=Role.PROVIDER,
    )
    db.session.add_all([organisation, user])
    db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
    _flush_unique(organisation)
    record("organisation_signed_up", organisation, actor=user, name=organisation.name)
    return user, organisation


def update_details(organisation: Organisation, details: dict[str, Any], actor: User) -> None:
    """Change the organisation's details. Raises OrganisationError as ``sign_up`` does.

    A verified or suspended organisation that changes a checked detail (CHECKED_FIELDS)
    keeps its status, and the change waits in the admins' "changed since verification"
    list until one of them confirms it (``confirm_changes``).
    """
    changes = _apply_details(organisation, details)
    if not changes:
        return
    _flush_unique(organisation)
    record("organisation_updated", organisation, actor=actor, changes=_jsonable(changes))
    if organisation.last_verified_at is not None and organisation.status in (
        VerificationStatus.VERIFIED,
        VerificationStatus.SUSPENDED,
    ):
        _note_changes_to_review(organisation, changes)


def _note_changes_to_review(organisation: Organisation, changes: dict[str, Any]) -> None:
    """Keep, per checked field, the value last verified and the value now; a field changed
    back to its verified value needs no review."""
    pending = dict(organisation.changes_to_review or {})
    for field, (old, new) in _jsonable(changes).items():
        if field not in CHECKED_FIELDS:
            continue
        verified = pending[field][0] if field in pending else old
        if verified == new:
            pending.pop(field, None)
        else:
            pending[field] = [verified, new]
    if pending == (organisation.changes_to_review or {}):
        return
    organisation.changes_to_review = pending or None
    if not pending:
        organisation.changed_since_verified_at = None
    elif organisation.changed_since_verified_at is None:
        organisation.changed_since_verified_at = utcnow()
    db.session.flush()


def _clear_changes_to_review(organisation: Organisation) -> None:
    organisation.changes_to_review = None
    organisation.changed_since_verified_at = None


def confirm_changes(organisation: Organisation, actor: User) -> None:
    """A platform admin has checked the details a verified organisation changed: this is a
    fresh verification of them."""
    _require(organisation, {VerificationStatus.VERIFIED}, "confirm the changes of")
    if not organisation.has_changes_to_review:
        raise TransitionError("There are no changes to confirm")
    confirmed = dict(organisation.changes_to_review or {})
    _clear_changes_to_review(organisation)
    organisation.last_verified_at = utcnow()
    db.session.flush()
    record("organisation_changes_confirmed", organisation, actor=actor, changes=confirmed)


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {key: [str(v) if v is not None else None for v in pair] for key, pair in changes.items()}


# Verification ---------------------------------------------------------------------------


class TransitionError(OrganisationError):
    """The organisation is not in a state that allows this decision."""


def _admin_emails(organisation: Organisation) -> list[str]:
    return [
        m.user.email
        for m in organisation.memberships
        if m.role == MembershipRole.ADMIN and m.user.active
    ]


def _tell_admins(organisation: Organisation, template: str, **personalisation: Any) -> None:
    link = url_for("onboarding.setup", organisation_id=organisation.id, _external=True)
    for email in _admin_emails(organisation):
        notify_email(
            template,
            email,
            {"organisation": organisation.name, "link": link, **personalisation},
        )


def _require(organisation: Organisation, allowed: set[VerificationStatus], action: str) -> None:
    if organisation.status not in allowed:
        raise TransitionError(
            f"You cannot {action} an organisation that is {organisation.status.value}"
        )


def submit_for_verification(organisation: Organisation, actor: User) -> None:
    """Put a pending (or rejected, now corrected) organisation in the verification queue."""
    _require(organisation, {VerificationStatus.PENDING, VerificationStatus.REJECTED}, "submit")
    organisation.status = VerificationStatus.PENDING
    organisation.submitted_at = utcnow()
    db.session.flush()
    record("organisation_submitted", organisation, actor=actor)


def verify(organisation: Organisation, actor: User) -> None:
    """Verify a pending organisation: its published services can now be found."""
    _require(organisation, {VerificationStatus.PENDING}, "verify")
    organisation.status = VerificationStatus.VERIFIED
    organisation.status_reason = None
    organisation.last_verified_at = utcnow()
    _clear_changes_to_review(organisation)
    db.session.flush()
    record("organisation_verified", organisation, actor=actor)
    _tell_admins(organisation, "organisation_verified")


def reject(organisation: Organisation, actor: User, reason: str) -> None:
    """Turn down a pending organisation, telling its admins why so they can put it right."""
    _require(organisation, {VerificationStatus.PENDING}, "reject")
    organisation.status = VerificationStatus.REJECTED
    organisation.status_reason = reason.strip()
    organisation.submitted_at = None
    db.session.flush()
    record("organisation_rejected", organisation, actor=actor, reason=reason.strip())
    _tell_admins(organisation, "organisation_rejected", reason=reason.strip())


def suspend(organisation: Organisation, actor: User, reason: str) -> None:
    """Take a verified organisation out of search (its data is kept)."""
    _require(organisation, {VerificationStatus.VERIFIED}, "suspend")
    organisation.status = VerificationStatus.SUSPENDED
    organisation.status_reason = reason.strip()
    db.session.flush()
    record("organisation_suspended", organisation, actor=actor, reason=reason.strip())
    _tell_admins(organisation, "organisation_suspended", reason=reason.strip())


def reinstate(organisation: Organisation, actor: User) -> None:
    """Bring a suspended organisation back: this is a fresh verification."""
    _require(organisation, {VerificationStatus.SUSPENDED}, "reinstate")
    organisation.status = VerificationStatus.VERIFIED
    organisation.status_reason = None
    organisation.last_verified_at = utcnow()
    _clear_changes_to_review(organisation)
    db.session.flush()
    record("organisation_reinstated", organisation, actor=actor)
    _tell_admins(organisation, "organisation_reinstated")


# The team -------------------------------------------------------------------------------


class TeamError(OrganisationError):
    """A team change was refused (for example, removing the last admin)."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(organisation: Organisation, email: str, role: MembershipRole, actor: User) -> Invitation:
    """Invite someone by e-mail. The link holds a random token (only its hash is kept)
    and expires after ``INVITATION_MAX_AGE`` seconds; an earlier open invitation to the
    same address is revoked, so only the newest link works."""
    email = email.strip()
    existing = find_user_by_email(email)
    if existing is not None and any(
        m.organisation_id == organisation.id for m in existing.memberships
    ):
        raise TeamError(f"{email} is already a member of {organisation.name}", "email")
    if existing is not None and existing.role != Role.PROVIDER:
        raise TeamError(
            "This email address belongs to a referrer, commissioner or administrator account",
            "email",
        )
    now = utcnow()
    for earlier in db.session.scalars(
        select(Invitation).where(
            Invitation.organisation_id == organisation.id,
            func.lower(Invitation.email) == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        earlier.revoked_at = now
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["INVITATION_MAX_AGE"]
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by_id=actor.id,
        expires_at=now + timedelta(seconds=max_age),
    )
    db.session.add(invitation)
    db.session.flush()
    notify_email(
        "team_invitation",
        email,
        {
            "organisation": organisation.name,
            "inviter": actor.name,
            "role": "an administrator" if role == MembershipRole.ADMIN else "a member",
            "link": url_for("onboarding.accept_invitation", token=token, _external=True),
            "valid_for": f"{max_age // 86400} days" if max_age >= 86400 else f"{max_age} seconds",
        },
    )
    record("team_member_invited", organisation, actor=actor, email=email, role=role.value)
    return invitation


class InvitationError(ValueError):
    """The invitation link is unknown, expired, revoked or already used."""


def invitation_for_token(token: str) -> Invitation:
    """The open invitation a link's token belongs to. Raises InvitationError otherwise."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationError("This invitation is not valid. Ask for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used. Sign in instead.")
    if invitation.expires_at <= utcnow():
        raise InvitationError("This invitation has expired. Ask for a new one.")
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member with the invited role. The user's e-mail must be the one
    invited (so a forwarded link cannot be used by someone else)."""
    if user.email.lower() != invitation.email.lower():
        raise TeamError(f"This invitation is for {invitation.email}. Sign in as that user.")
    if user.role != Role.PROVIDER:
        raise TeamError("Only provider accounts can join an organisation.")
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.organisation_id == invitation.organisation_id,
        )
    )
    if membership is None:
        membership = Membership(
            user=user, organisation_id=invitation.organisation_id, role=invitation.role
        )
        db.session.add(membership)
    invitation.accepted_at = utcnow()
    db.session.flush()
    record("team_member_joined", invitation.organisation, actor=user, email=user.email)
    return membership


def create_account_for_invitation(invitation: Invitation, name: str, password: str) -> User:
    """A new provider account for the invited address, which then accepts the invitation."""
    if find_user_by_email(invitation.email) is not None:
        raise TeamError("An account with this email address already exists. Sign in instead.")
    user = User(
        name=name.strip(),
        email=invitation.email,
        password_hash=hash_password(password),
        role=Role.PROVIDER,
    )
    db.session.add(user)
    db.session.flush()
    accept_invitation(invitation, user)
    return user


def revoke_invitation(invitation: Invitation, actor: User) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        record("team_invitation_revoked", invitation.organisation, actor=actor)


def _other_admins(membership: Membership) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.organisation_id == membership.organisation_id,
                Membership.role == MembershipRole.ADMIN,
                Membership.id != membership.id,
            )
        )
        or 0
    )


def set_role(membership: Membership, role: MembershipRole, actor: User) -> None:
    """Change a member's role. Raises TeamError if it would leave no admin."""
    if membership.role == role:
        return
    if membership.role == MembershipRole.ADMIN and not _other_admins(membership):
        raise TeamError("An organisation must keep at least one administrator", "role")
    membership.role = role
    db.session.flush()
    record(
        "team_role_changed",
        membership.organisation,
        actor=actor,
        member=membership.user.email,
        role=role.value,
    )


def remove_member(membership: Membership, actor: User) -> None:
    """Remove someone from the organisation (their account stays). Raises TeamError for
    the last admin."""
    if membership.role == MembershipRole.ADMIN and not _other_admins(membership):
        raise TeamError("You cannot remove the last administrator")
    organisation = membership.organisation
    email = membership.user.email
    db.session.delete(membership)
    db.session.flush()
    record("team_member_removed", organisation, actor=actor, member=email)
