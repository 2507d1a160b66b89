"""Error pages (GOV.UK style) and JSON errors for the API: bad input is never a 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from marketplace.authz import wants_json
from marketplace.extensions import db, login_manager

log = logging.getLogger(__name__)

NUL_MESSAGE = (
    "What you sent contains a character that is not allowed (NUL): remove it and try again."
)

TITLES = {
    400: "There is a problem with your request",
    401: "You need to sign in",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "This has changed since you opened it",
    413: "The file is too large",
    422: "There is a problem with what you sent",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def json_error(
    status: int, message: str, field: str | None = None, errors: list[dict[str, Any]] | None = None
) -> Response:
    """The API's error shape: ``{"errors": [{"field": ..., "message": ...}]}``."""
    body = {"errors": errors or [{"field": field, "message": message}]}
    response = jsonify(body)
    response.status_code = status
    return response


def _api_errors_from(error: HTTPException) -> list[dict[str, Any]] | None:
    """Flatten flask-smorest/webargs validation messages into field errors."""
    messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
    if not messages:
        return None
    flat: list[dict[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            flat.extend({"field": path or None, "message": m} for m in node)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}.{index}")
        else:
            flat.append({"field": path or None, "message": str(node)})

    for location_messages in messages.values():
        walk(location_messages, "")
    return flat


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """Refuse text with a NUL character (``%00``) in the query string, a form or a JSON
    body, before any of it reaches PostgreSQL, whose text cannot hold one."""
    sent: list[tuple[str, Any]] = [*request.args.items(multi=True)]
    if request.method in ("POST", "PUT", "PATCH"):
        if request.is_json:
            sent.append(("", request.get_json(silent=True)))
        else:
            sent += request.form.items(multi=True)
    if any(_holds_nul(key) or _holds_nul(value) for key, value in sent):
        abort(400, description=NUL_MESSAGE)


def register(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int] | Response:
        if wants_json():
            return json_error(400, "The form expired or was not sent from this site.")
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if status == 401 and not wants_json():
            return login_manager.unauthorized()
        if wants_json():
            message = (error.description or TITLES.get(status, "")) if status < 500 else TITLES[500]
            return json_error(status, message, errors=_api_errors_from(error))
        if error.response is not None:
            return error.response
        title = TITLES.get(status, "There is a problem")
        return render_template(
            "errors/error.html", status=status, title=title, description=error.description
        ), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_json():
            return json_error(500, TITLES[500])
        return render_template(
            "errors/error.html",
            status=500,
            title=TITLES[500],
            description="Try again later. Anything you already saved is safe.",
        ), 500
