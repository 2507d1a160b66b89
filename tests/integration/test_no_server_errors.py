"""Bad input never gets a 500: every page and API read, as every kind of user, with real
ids, ids that do not exist, ids too big for the database, and junk in every query
parameter the pages read (negative, non-numeric, huge, a NUL byte, markup, 5,000
characters). A refusal (400, 403, 404, 409, 422, a redirect to sign in) is fine; a
server error is a defect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.routing import Rule

from marketplace.accounts.models import Role, User
from marketplace.accounts.tokens import issue_token
from marketplace.extensions import db, limiter
from marketplace.referrals import person_links
from marketplace.referrals.models import Appointment
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


@pytest.fixture
def unlimited() -> Iterator[None]:
    """Rate limits off: the crawls send thousands of requests, and a 429 would hide what
    the view itself answers."""
    limiter.enabled = False
    yield
    limiter.enabled = True


def _bearer(email: str) -> dict[str, str]:
    """Headers that call the API as the user with ``email``."""
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return {"Authorization": f"Bearer {issue_token(user, 'crawl')}"}


def _status(client: FlaskClient, method: str, url: str, **sent: Any) -> tuple[int, str]:
    """The status the application answers, and what went wrong when it was a server
    error: under testing Flask propagates a 500's exception instead of answering it."""
    try:
        with client.open(url, method=method, **sent) as response:  # closes files (favicon)
            return response.status_code, ""
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return 500, f"({type(error).__name__}: {str(error).splitlines()[0][:100]})"


def _assert_none(server_errors: list[str]) -> None:
    assert server_errors == [], f"{len(server_errors)} server errors:\n" + "\n".join(
        server_errors[:200]
    )


def _real_ids() -> dict[str, Any]:
    """One existing row of each kind, preferring the demo provider's own (so that pages
    render rather than refuse) where a row belongs to an organisation; and a working
    link for the person referred, to the referral of that appointment."""
    ids: dict[str, Any] = {}
    for argument, table in ID_TABLES.items():
        found = db.session.scalar(text(f"SELECT min(id) FROM {table}"))  # noqa: S608 - fixed names
        ids[argument] = found if found is not None else 1
    provider = db.session.scalar(select(User).where(User.email == LOGINS[Role.PROVIDER.value]))
    assert provider is not None
    organisation = provider.memberships[0].organisation
    ids["organisation_id"] = organisation.id
    for argument, table in [("service_id", "service"), ("location_id", "location")]:
        ids[argument] = db.session.scalar(
            text(f"SELECT min(id) FROM {table} WHERE organisation_id = :o"),  # noqa: S608
            {"o": organisation.id},
        )
    appointment = db.session.get(Appointment, ids["appointment_id"])
    assert appointment is not None
    ids["person_token"] = person_links.issue_link(appointment.referral)
    return ids


def _paths(rule: Rule, ids: dict[str, Any]) -> list[str]:
    """The rule's path with real, missing and too-big ids; a person's link works in the
    real one, other tokens are made up."""
    arguments = [name for name in rule.arguments if name not in (rule.defaults or {})]
    if not arguments:
        return [rule.rule]
    variants = []
    for choice in ("real", "missing", "huge"):
        values: dict[str, object] = {}
        for name in arguments:
            if name == "token":
                real_link = choice == "real" and rule.rule.startswith("/p/")
                values[name] = ids["person_token"] if real_link else "not-a-real-token"
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
@pytest.mark.usefixtures("unlimited")
def test_no_page_or_api_read_answers_bad_input_with_a_server_error(
    app: Flask, client: FlaskClient, who: str
) -> None:
    build_demo()
    ids = _real_ids()
    email = LOGINS[who]
    api_headers = {}
    if email is not None:
        sign_in(client, email, DEMO_PASSWORD)
        api_headers = _bearer(email)
    rules = _get_rules(app)
    assert len(rules) > 60  # the crawl reaches the whole application
    server_errors = []
    statuses: set[int] = set()
    requests = 0
    junk_queries = ["?" + urlencode(dict.fromkeys(PARAMETERS, junk)) for junk in JUNK]
    for rule in rules:
        real, *others = _paths(rule, ids)
        for url in [real, *(real + query for query in junk_queries), *others]:
            requests += 1
            headers = api_headers if url.startswith("/api/") else {}
            status, failure = _status(client, "GET", url, headers=headers)
            statuses.add(status)
            if status >= 500:
                server_errors.append(f"{status} GET {url[:300]} {failure}")
    assert requests > 500
    assert 429 not in statuses and 200 in statuses  # the views answered, not the limiter
    _assert_none(server_errors)


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


# Every field an API write reads, with values a database column cannot hold.
API_FIELDS = [
    "assessment_id", "service_id", "location_id", "capacity", "places_available",
    "waiting_days", "version", "duration_minutes", "rating", "lock_version", "need_codes",
    "reason", "reason_code", "text", "comments", "body", "starts_at", "mode", "status",
    "absence_reason", "outcome", "idempotency_key", "consent", "contact_preference",
]  # fmt: skip
API_JUNK: list[object] = [2**70, -(2**40), 2**31, "9" * 40, "x" * 10_000, [], {}, None, 1.5]
ONE_FIELD_JUNK: list[object] = [2**70, -(2**40), "x" * 10_000, None]


def _api_writes(app: Flask) -> list[tuple[str, Rule]]:
    return [
        (method, rule)
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
        if rule.rule.startswith("/api/")
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"})
    ]


def _api_bodies(ids: dict[str, Any]) -> list[object]:
    """Junk in every field at once; then one field at a time, alone and beside real ids,
    so that the junk gets past the other fields' checks to the write."""
    shapes = [dict.fromkeys(API_FIELDS, junk) for junk in API_JUNK]
    bodies: list[object] = [*shapes, *([shape] for shape in shapes)]
    for field in API_FIELDS:
        for junk in ONE_FIELD_JUNK:
            alone = {field: junk}
            beside_service = {"service_id": ids["service_id"], field: junk}
            beside_both = {**beside_service, "assessment_id": ids["assessment_id"]}
            bodies += [alone, beside_service, beside_both, {"services": [beside_service]}]
    return bodies


@pytest.mark.parametrize("who", ["provider", "referrer"])
@pytest.mark.usefixtures("unlimited")
def test_no_api_write_answers_junk_with_a_server_error(
    app: Flask, client: FlaskClient, who: str
) -> None:
    build_demo()
    ids = _real_ids()
    headers = _bearer(LOGINS[Role.PROVIDER.value if who == "provider" else Role.REFERRER.value])
    # Encoded here: the app's JSON provider (orjson) would refuse 2**70 in the client.
    bodies = [json.dumps(body) for body in _api_bodies(ids)]
    writes = _api_writes(app)
    assert len(writes) >= 15
    server_errors = []
    statuses: set[int] = set()
    for method, rule in writes:
        path = _paths(rule, ids)[0]
        for sent in bodies:
            status, failure = _status(
                client, method, path, data=sent, content_type="application/json", headers=headers
            )
            statuses.add(status)
            if status >= 500:
                server_errors.append(f"{status} {method} {path} {sent[:80]} {failure}")
    assert 429 not in statuses and 422 in statuses  # the views checked what was sent
    _assert_none(server_errors)


def test_a_capacity_too_big_for_the_database_is_a_field_error(client: FlaskClient) -> None:
    build_demo()
    ids = _real_ids()
    response = client.put(
        f"/api/v1/organisations/{ids['organisation_id']}/capacity",
        data=json.dumps({"services": [{"service_id": ids["service_id"], "capacity": 2**70}]}),
        content_type="application/json",
        headers=_bearer(LOGINS[Role.PROVIDER.value]),
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"].endswith("capacity")


class _Forms(HTMLParser):
    """The POST forms of a page: action and their fields' names with the values the page
    filled in (the first option of a select, a checked box's value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and found.get("method", "get").lower() == "post":
            self._fields = {}
            self.forms.append((found.get("action", ""), self._fields))
        elif self._fields is None:
            return
        elif tag in ("input", "textarea") and found.get("name"):
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio") and found["name"] in self._fields:
                return
            if kind not in ("submit", "button", "file"):
                self._fields[found["name"]] = found.get("value", "")
        elif tag == "select" and found.get("name"):
            self._select = found["name"]
            self._fields.setdefault(self._select, "")
        elif tag == "option" and self._select and not self._fields[self._select]:
            self._fields[self._select] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


FORM_JUNK = ["9" * 40, "-1", "x" * 10_000, "2026-02-31", "<b>", "\u202e"]


@pytest.mark.usefixtures("unlimited")
@pytest.mark.parametrize("who", list(LOGINS))
def test_no_form_answers_junk_with_a_server_error(
    app: Flask, client: FlaskClient, who: str
) -> None:
    build_demo()
    ids = _real_ids()
    email = LOGINS[who]
    if email is not None:
        sign_in(client, email, DEMO_PASSWORD)
    server_errors = []
    posted = 0
    for rule in _get_rules(app):
        page = _paths(rule, ids)[0]
        with client.get(page) as response:
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
        for action, fields in parser.forms:
            target = urlsplit(action or page).path
            if target == "/sign-out" or "csrf_token" not in fields:
                continue
            editable = [name for name in fields if name != "csrf_token"]
            attempts = [{**fields, name: junk} for name in editable for junk in FORM_JUNK]
            attempts += [{**fields, **dict.fromkeys(editable, junk)} for junk in FORM_JUNK]
            for data in attempts:
                posted += 1
                status, failure = _status(client, "POST", target, data=data)
                if status >= 500:
                    changed = {k: v[:20] for k, v in data.items() if fields.get(k) != v}
                    server_errors.append(f"{status} POST {target} {changed} {failure}")
    assert posted > 100
    _assert_none(server_errors)


def test_a_date_sent_in_one_part_is_an_error_on_the_form(client: FlaskClient) -> None:
    build_demo()
    sign_in(client, LOGINS[Role.REFERRER.value], DEMO_PASSWORD)
    token = csrf_token(client, "/people/new")
    response = client.post(
        "/people/new",
        data={"csrf_token": token, "reference": "AB-1", "date_of_birth": "7"},
    )
    assert response.status_code == 400
    assert "Date of birth must include a day, month and year" in response.get_data(as_text=True)


def test_listing_referrals_by_an_unknown_state_or_past_any_page_is_a_422(
    client: FlaskClient,
) -> None:
    build_demo()
    headers = _bearer(LOGINS[Role.REFERRER.value])
    response = client.get("/api/v1/referrals?state=lost", headers=headers)
    assert response.status_code == 422
    assert "Choose a state" in response.get_json()["errors"][0]["message"]
    response = client.get(f"/api/v1/referrals?page={10**30}", headers=headers)
    assert response.status_code == 422
    assert "page must be 100,000 or less" in response.get_json()["errors"][0]["message"]
    assert client.get("/api/v1/referrals?state=sent", headers=headers).status_code == 200
