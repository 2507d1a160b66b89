"""API bearer tokens: issued once, stored as a hash, checked on every API request."""

from __future__ import annotations

import hashlib
import secrets

from flask import Request
from sqlalchemy import select

from marketplace.accounts.models import ApiToken, User
from marketplace.database import utcnow
from marketplace.extensions import db

PREFIX = "pw_"


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
    api_token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == digest(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
    if api_token is None or not api_token.user.active:
        return None
    api_token.last_used_at = utcnow()
    return api_token.user
