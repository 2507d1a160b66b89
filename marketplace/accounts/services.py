"""Account writes: sign-in checks, password reset tokens, password changes."""

from __future__ import annotations

import hashlib

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.accounts.passwords import (
    DUMMY_HASH,
    hash_password,
    needs_rehash,
    verify_password,
)
from marketplace.audit.services import record
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.services import notify_email


class ResetTokenError(ValueError):
    """The reset link is expired, already used or not ours."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same time spent either way)."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(user: User) -> None:
    user.last_sign_in_at = utcnow()
    record("sign_in", user, actor=user)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "fp": _password_fingerprint(user)})


def send_password_reset(email: str) -> None:
    """E-mail a reset link if an account exists; say nothing either way (no enumeration)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = url_for("accounts.reset_password", token=make_reset_token(user), _external=True)
    notify_email(
        "password_reset",
        user.email,
        {"name": user.name, "link": link, "valid_for": "1 hour"},
    )
    record("password_reset_requested", user, actor=user)


def user_for_reset_token(token: str) -> User:
    """The user a reset token belongs to. Raises ResetTokenError if expired, used or forged."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        claims = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise ResetTokenError("This link has expired. Ask for a new one.") from error
    except BadSignature as error:
        raise ResetTokenError("This link is not valid. Ask for a new one.") from error
    user = db.session.get(User, claims.get("user"))
    if user is None or claims.get("fp") != _password_fingerprint(user):
        raise ResetTokenError("This link has already been used. Ask for a new one.")
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    record("password_changed", user, actor=user)
