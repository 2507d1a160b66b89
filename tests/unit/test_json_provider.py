"""The orjson provider writes the same JSON documents as Flask's own."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from marketplace.json_provider import OrjsonProvider


@dataclasses.dataclass
class Hit:
    service_id: int
    name: str


DOCUMENTS = [
    {"b": 1, "a": [1.5, None, True], "nested": {"z": "Café – Zoë", "y": []}},
    {3: "int keys", 1: "sorted as numbers"},
    {"when": datetime(2026, 11, 23, 19, 30, tzinfo=UTC), "day": date(2026, 11, 23)},
    {"amount": decimal.Decimal("4.50"), "id": uuid.UUID(int=7), "hit": Hit(1, "Shelter")},
    ["a list", {"of": "objects"}],
]


@pytest.fixture
def json_app() -> Flask:
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    return app


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_are_the_same_as_flasks(json_app: Flask, document: object) -> None:
    flasks = DefaultJSONProvider(json_app)
    with json_app.app_context():
        ours = json_app.json.response(document)
        theirs = flasks.response(document)
    assert ours.mimetype == theirs.mimetype == "application/json"
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())
    assert json_app.json.loads(json_app.json.dumps(document)) == json.loads(flasks.dumps(document))


def test_keys_are_sorted_and_the_body_ends_with_a_newline(json_app: Flask) -> None:
    with json_app.app_context():
        body = json_app.json.response({"b": 1, "a": 2}).get_data()
    assert body == b'{"a":2,"b":1}\n'


def test_what_neither_can_encode_is_refused_alike(json_app: Flask) -> None:
    with json_app.app_context(), pytest.raises(TypeError):
        json_app.json.response({"x": object()})
