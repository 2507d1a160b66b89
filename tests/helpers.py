"""Small helpers shared by tests: signing in through the real form, reading CSRF tokens,
checking responses against the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.factories import PASSWORD

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch ``path`` and return the CSRF token of its first form."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"No CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # noqa: ANN201
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, path: str, data: dict, *, form_page: str | None = None):  # noqa: ANN201
    """POST ``data`` to ``path`` with the CSRF token from ``form_page`` (default: ``path``)."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token})


def sign_out(client: FlaskClient):  # noqa: ANN201
    """Sign out through the header form (tests share one app context between requests,
    so a second test client would see the first one's user: switch users this way)."""
    return post_form(client, "/sign-out", {}, form_page="/dashboard")


def switch_user(client: FlaskClient, email: str, password: str = PASSWORD):  # noqa: ANN201
    sign_out(client)
    return sign_in(client, email, password)


def openapi_response_schema(
    document: dict[str, Any], path: str, status: int | str, method: str = "get"
) -> dict[str, Any]:
    """The schema the OpenAPI ``document`` gives for one response of one operation, with
    every ``$ref`` (to a response or a schema component) inlined."""
    components = document["components"]

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                kind, name = node["$ref"].split("/")[-2:]
                return inline(components[kind][name])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    response = inline(document["paths"][path][method]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


def assert_matches_openapi(
    document: dict[str, Any], path: str, status: int, body: Any, method: str = "get"
) -> None:
    """``body`` is valid against what ``document`` says ``method path`` answers with
    ``status``."""
    from openapi_schema_validator import OAS30Validator

    validator = OAS30Validator(openapi_response_schema(document, path, status, method))
    errors = sorted(validator.iter_errors(body), key=str)
    assert errors == [], "; ".join(e.message for e in errors[:5])
