"""Small helpers shared by tests: signing in through the real form, reading CSRF tokens."""

from __future__ import annotations

import re

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
