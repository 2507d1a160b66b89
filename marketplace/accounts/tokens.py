"""API bearer tokens: issued once, stored as a hash, checked on every API request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import ApiToken, User
from marketplace.database import utcnow
from marketplace.extensions import db

PREFIX = "pw_"

# ``last_used_at`` answers "is this token still in use, and roughly since when is it
# not?" (to revoke stale or leaked tokens), where five minutes is precise enough. Writing
# it on every call cost an UPDATE per API request and held that token's row lock until
# the request committed, so one case-management system's concurrent calls, all with the
# same token, queued behind each other. Now a token's row is written at most once per
# interval; calls that change something are in the audit log at their exact time.
LAST_USED_INTERVAL = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str) -> str:
    """Create a token for ``user`` and return it; it cannot be shown again."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name, token_hash=digest(token)))
    db.session.flush()
    return token


def user_from_request(request: Request) -> User | None:
    """The active user whose unrevoked token is in ``Authorization: Bearer ...``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        return None
    # The user and their memberships (which permission checks read) in the same query.
    api_token = (
        db.session.execute(
            select(ApiToken)
            .options(joinedload(ApiToken.user).joinedload(User.memberships))
            .where(ApiToken.token_hash == digest(token.strip()), ApiToken.revoked_at.is_(None))
        )
        .unique()
        .scalar()
    )
    if api_token is None or not api_token.user.active:
        return None
    note_use(api_token, utcnow())
    return api_token.user


def note_use(api_token: ApiToken, now: datetime) -> None:
    """Record that ``api_token`` was used at ``now``, unless it was already recorded as
    used less than ``LAST_USED_INTERVAL`` before (then nothing is written)."""
    last = api_token.last_used_at
    if last is None or now - last >= LAST_USED_INTERVAL:
        api_token.last_used_at = now
