"""Fixtures for people, assessments, matches and referral creation.

The test database holds real postcodes and areas for London, Manchester and Birmingham
(see tests/database.py), so tests use real postcodes such as SW1A 1AA (Westminster).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from tests.factories import UserFactory
from tests.helpers import sign_in

# Westminster, and places at known distances from it (straight line).
WESTMINSTER = (51.501009, -0.141588)
CAMDEN = (51.5390, -0.1426)  # about 4.2 km north
READING = (51.4543, -0.9781)  # about 58 km west


@pytest.fixture
def referrer() -> User:
    return UserFactory(name="Robin Referrer")


@pytest.fixture
def referrer_client(client: FlaskClient, referrer: User) -> FlaskClient:
    sign_in(client, referrer.email)
    return client
