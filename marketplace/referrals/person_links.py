"""The person's tokenised link: no account, one referral, expiring.

The token is shown once (in the message that carries it) and stored only as a SHA-256
hash. A link stops working when it expires, when the referral closes and the person has
given their feedback (it is then "used"), or when it is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.referrals.models import PersonLink, Referral


class LinkProblem(Exception):
    """The link cannot be used; ``status`` is 404 (unknown) or 410 (expired or used)."""

    status = 404
    title = "This link does not work"


class UnknownLink(LinkProblem):
    status = 404
    title = "This link does not work"


class ExpiredLink(LinkProblem):
    status = 410
    title = "This link has expired"


class UsedLink(LinkProblem):
    status = 410
    title = "This link has already been used"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(referral: Referral) -> str:
    """Create a link for the person referred by ``referral``; returns the token."""
    token = secrets.token_urlsafe(32)
    days = int(current_app.config.get("PERSON_LINK_DAYS", 60))
    db.session.add(
        PersonLink(
            referral=referral,
            token_hash=digest(token),
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    db.session.flush()
    return token


def resolve(token: str) -> PersonLink:
    """The live link for ``token``. Raises UnknownLink, ExpiredLink or UsedLink."""
    if not token or len(token) > 100:
        raise UnknownLink()
    link = db.session.scalar(select(PersonLink).where(PersonLink.token_hash == digest(token)))
    if link is None:
        raise UnknownLink()
    if link.revoked_at is not None:
        raise UsedLink()
    if link.expires_at <= utcnow():
        raise ExpiredLink()
    return link


def use_up(referral: Referral) -> None:
    """Retire every link of ``referral`` (after the person's last action, their feedback)."""
    db.session.execute(
        update(PersonLink)
        .where(PersonLink.referral_id == referral.id, PersonLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
