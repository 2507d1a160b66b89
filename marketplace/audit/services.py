"""Writing the audit log. Every write is in the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import inspect

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db


def _client_ip() -> str | None:
    if not has_request_context():
        return None
    return request.remote_addr


def record(action: str, obj: Any, *, actor: Any = None, **detail: Any) -> AuditEvent:
    """Append an audit event for ``action`` on ``obj`` (a model instance), by ``actor``.

    The object's id is taken after a flush, so new objects are recorded with their id.
    """
    if inspect(obj).transient or inspect(obj).pending:
        db.session.flush()
    identity = inspect(obj).identity
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__tablename__,
        object_id=":".join(str(part) for part in identity) if identity else None,
        detail=detail,
        ip_address=_client_ip(),
    )
    db.session.add(event)
    return event
