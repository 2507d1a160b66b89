"""Places are never overbooked: 100 referrals at once to a service with 5 places."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.tokens import issue_token
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.referrals.models import Referral
from tests.factories import AssessmentFactory, PersonFactory, UserFactory, point, service_at
from tests.referrals.conftest import CAMDEN, WESTMINSTER

REFERRALS = 100
PLACES = 5


@pytest.mark.committing
@pytest.mark.slow
def test_a_hundred_simultaneous_referrals_take_exactly_the_five_places(app: Flask) -> None:
    with app.app_context():
        referrer = UserFactory()
        service = service_at(*CAMDEN, need_codes=["accommodation"], capacity=PLACES)
        assessments = [
            AssessmentFactory(
                person=PersonFactory(agency=referrer.agency, point=point(*WESTMINSTER))
            )
            for _ in range(REFERRALS)
        ]
        token = issue_token(referrer, "load test")
        service_id = service.id
        assessment_ids = [a.id for a in assessments]
        commit()

    start = threading.Barrier(REFERRALS)

    def refer(assessment_id: int) -> tuple[int, dict]:
        client = app.test_client()
        start.wait()
        response = client.post(
            "/api/v1/referrals",
            json={
                "assessment_id": assessment_id,
                "service_id": service_id,
                "consent": True,
                "idempotency_key": f"load-test-{assessment_id}",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.json

    with ThreadPoolExecutor(max_workers=REFERRALS) as pool:
        answers = list(pool.map(refer, assessment_ids))

    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: PLACES, 409: REFERRALS - PLACES}
    held = [body for status, body in answers if status == 201]
    assert all(body["holds_place"] and not body["on_waiting_list"] for body in held)
    refused = [body["errors"][0] for status, body in answers if status == 409]
    assert {(error["code"], error["field"]) for error in refused} == {
        ("no_places", "join_waiting_list")
    }
    assert all("waiting list" in error["message"] for error in refused)
    with app.app_context():
        assert db.session.get(Service, service_id).places_taken == PLACES
        assert db.session.scalar(select(func.count()).select_from(Referral)) == PLACES
        holding = db.session.scalar(
            select(func.count()).select_from(Referral).where(Referral.holds_place)
        )
        assert holding == PLACES


@pytest.mark.committing
def test_the_same_referral_sent_ten_times_at_once_is_made_once(app: Flask) -> None:
    with app.app_context():
        referrer = UserFactory()
        service = service_at(*CAMDEN, need_codes=["accommodation"], capacity=PLACES)
        assessment = AssessmentFactory(
            person=PersonFactory(agency=referrer.agency, point=point(*WESTMINSTER))
        )
        token = issue_token(referrer, "double click")
        body = {
            "assessment_id": assessment.id,
            "service_id": service.id,
            "consent": True,
            "idempotency_key": "double-click-0001",
        }
        service_id = service.id
        commit()

    start = threading.Barrier(10)

    def send(_: int) -> tuple[int, int]:
        client = app.test_client()
        start.wait()
        response = client.post(
            "/api/v1/referrals", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code, response.json["id"]

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))

    assert Counter(status for status, _ in answers) == {201: 1, 200: 9}
    assert len({referral_id for _, referral_id in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 1
        assert db.session.get(Service, service_id).places_taken == 1
