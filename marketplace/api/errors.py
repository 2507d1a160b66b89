"""The API's error answers, as the OpenAPI document describes them.

Every error the API gives has one shape, ``{"errors": [{"field": ..., "message": ...}]}``,
whether a view answers it (``marketplace.errors.json_error``) or an exception does: a body
that is not JSON, a parameter webargs refuses, a missing token, a rate limit
(``marketplace.errors.register`` handles them all, in place of flask-smorest's own
handler). ``ApiErrorsSchema`` documents that shape:

* ``marketplace.extensions.Api`` makes it flask-smorest's ``ERROR_SCHEMA``: the
  ``default`` response of every operation and the 422 that ``@arguments`` adds;
* ``documented_errors`` adds to one operation the statuses it can answer, each with a
  description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

F = TypeVar("F", bound=Callable[..., Any])


class ApiErrorSchema(Schema):
    field = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The parameter or body field at fault (a dotted path for a "
            "nested one), or null when the request as a whole is refused."
        },
    )
    message = fields.String(
        required=True, metadata={"description": "What is wrong and what to do, in plain words."}
    )


class ApiErrorsSchema(Schema):
    errors = fields.List(
        fields.Nested(ApiErrorSchema), required=True, validate=validate.Length(min=1)
    )


# What each status means wherever an operation gives no more precise description.
DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    401: "No bearer token was sent, or it is not valid.",
    403: "Your role may not do this.",
    404: "There is no such thing, or it is not yours to see.",
    409: "This conflicts with how things stand now; nothing was changed.",
    422: "A parameter or field was refused; nothing was changed.",
    429: "Too many requests from this address: wait a minute and try again.",
}

# The security requirement of operations that take a bearer token (the scheme is
# registered in marketplace.api.register).
BEARER_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def documented_errors(
    blueprint: Blueprint,
    *statuses: int,
    descriptions: Mapping[int, str] | None = None,
    schema: type[Schema] = ApiErrorsSchema,
) -> Callable[[F], F]:
    """Document that the decorated operation can answer each of ``statuses`` with the
    API's error shape (or ``schema``, which must describe a superset of it)."""
    described = {**DESCRIPTIONS, **(descriptions or {})}

    def decorate(func: F) -> F:
        for status in statuses:
            func = blueprint.alt_response(status, schema=schema, description=described[status])(
                func
            )
        return func

    return decorate
