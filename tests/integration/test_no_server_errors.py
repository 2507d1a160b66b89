"""Bad input never gets a 500: every page and API read, as every kind of user, with real
ids, ids that do not exist, ids too big for the database, and junk in every query
parameter the pages read (negative, non-numeric, huge, a NUL byte, markup, 5,000
characters). A refusal (400, 403, 404, 409, 422, a redirect to sign in) is fine; a
server error is a defect."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.routing import Rule

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.seeding.demo import DEMO_PASSWORD, build_demo
from tests.helpers import csrf_token, sign_in

# Query parameters any page or API read looks at (the union of them: a page ignores the
# ones it does not read, which is itself worth checking).
PARAMETERS = [
    "page", "per_page", "sort", "q", "text", "postcode", "radius", "need", "needs",
    "taxonomy", "state", "tab", "service", "location", "agency", "age", "reference",
    "scope", "status", "delivery", "delivery_mode", "gender", "cjs_stage", "risk",
    "language", "accessibility", "capacity", "max_wait", "verified", "lat", "lng",
    "proximity", "area", "next", "assessment", "person", "service_ids",
]  # fmt: skip
JUNK = ["-1", "abc", "9" * 40, "1\x00", "<script>alert(1)</script>", "x" * 5000, ""]

# Path ids: a real one (from the demo data), one that does not exist, one beyond bigint.
MISSING_ID = 987_654_321
HUGE_ID = 2**70
SKIPPED_ENDPOINTS = {"static", "api-docs.openapi_redoc"}
ID_TABLES = {
    "organisation_id": "organisation",
    "service_id": "service",
    "referral_id": "referral",
    "appointment_id": "appointment",
    "feedback_id": "feedback",
    "location_id": "location",
    "membership_id": "membership",
    "person_id": "person",
    "assessment_id": "needs_assessment",
    "alert_id": "compliance_alert",
    "run_id": "import_run",
}
LOGINS = {
    "signed out": None,
    Role.REFERRER.value: "referrer@pathways.example",
    Role.PROVIDER.value: "provider.admin@pathways.example",
    Role.COMMISSIONER.value: "commissioner@pathways.example",
    Role.PLATFORM_ADMIN.value: "admin@pathways.example",
}


def _real_ids() -> dict[str, int]:
    """One existing row of each kind, preferring the demo provider's own (so that pages
    render rather than refuse) where a row belongs to an organisation."""
    ids = {}
    for argument, table in ID_TABLES.items():
        found = db.session.scalar(text(f"SELECT min(id) FROM {table}"))  # noqa: S608 - fixed names
        ids[argument] = found if found is not None else 1
    provider = db.session.scalar(
        select(User).where(User.email == "provider.admin@pathways.example")
    )
    assert provider is not None
    organisation = provider.memberships[0].organisation
    ids["organisation_id"] = organisation.id
    for argument, table in [("service_id", "service"), ("location_id", "location")]:
        ids[argument] = db.session.scalar(
            text(f"SELECT min(id) FROM {table} WHERE organisation_id = :o"),  # noqa: S608
            {"o": organisation.id},
        )
    return ids


def _paths(rule: Rule, ids: dict[str, int]) -> list[str]:
    """The rule's path with real, missing and too-big ids (and a made-up token)."""
    arguments = [name for name in rule.arguments if name not in (rule.defaults or {})]
    if not arguments:
        return [rule.rule]
    variants = []
    for choice in ("real", "missing", "huge"):
        values: dict[str, object] = {}
        for name in arguments:
            if name == "token":
                values[name] = "not-a-real-token"
            elif choice == "real":
                values[name] = ids.get(name, 1)
            else:
                values[name] = MISSING_ID if choice == "missing" else HUGE_ID
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        variants.append(path)
    return variants


def _get_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint not in SKIPPED_ENDPOINTS
        ),
        key=lambda rule: rule.rule,
    )


@pytest.mark.parametrize("who", list(LOGINS))
def test_no_page_or_api_read_answers_bad_input_with_a_server_error(
    app: Flask, client: FlaskClient, who: str
) -> None:
    build_demo()
    ids = _real_ids()
    email = LOGINS[who]
    if email is not None:
        sign_in(client, email, DEMO_PASSWORD)
    rules = _get_rules(app)
    assert len(rules) > 60  # the crawl reaches the whole application
    server_errors = []
    requests = 0
    junk_queries = ["?" + urlencode(dict.fromkeys(PARAMETERS, junk)) for junk in JUNK]
    for rule in rules:
        real, *others = _paths(rule, ids)
        for url in [real, *(real + query for query in junk_queries), *others]:
            requests += 1
            try:
                with client.get(url) as response:  # closes files sent (the favicon)
                    status = response.status_code
            except Exception as error:  # noqa: BLE001 - testing propagates a 500's exception
                db.session.rollback()
                status = 500
                url += f"  ({type(error).__name__}: {str(error).splitlines()[0][:100]})"
            if status >= 500:
                server_errors.append(f"{status} GET {url[:300]}")
    assert requests > 500
    assert server_errors == [], f"{len(server_errors)} server errors:\n" + "\n".join(
        server_errors[:200]
    )


def test_a_nul_character_in_a_form_is_refused_with_a_message(client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"email": "a\x00@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.get_data(as_text=True)


def test_a_nul_character_in_json_is_refused_with_a_json_error(client: FlaskClient) -> None:
    response = client.post("/api/v1/referrals", json={"reason": ["fine", {"x": "a\x00b"}]})
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.get_json()["errors"][0]["message"]


def test_an_id_beyond_the_database_is_not_found(client: FlaskClient) -> None:
    assert client.get(f"/directory/services/{HUGE_ID}").status_code == 404
    response = client.get(f"/api/v1/services/{2**31}")
    assert response.status_code == 404 and response.get_json()["errors"]
