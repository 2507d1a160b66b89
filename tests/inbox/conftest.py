"""Fixtures for the referral inbox and lifecycle: one referral with both sides."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.accounts.models import Role, User
from marketplace.directory.models import Location, Service
from marketplace.organisations.models import MembershipRole
from marketplace.referrals.models import Referral
from tests.factories import (
    LocationFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    UserFactory,
    provider_user,
)


@dataclass
class Sides:
    """A sent referral, the provider staff who receive it and the referrer who sent it."""

    referral: Referral
    provider: User
    provider_member: User
    referrer: User
    service: Service
    location: Location


@pytest.fixture
def sides() -> Sides:
    organisation = OrganisationFactory(email="referrals@charity.example")
    location = LocationFactory(organisation=organisation)
    service = ServiceFactory(organisation=organisation, capacity=5, places_taken=1, at=location)
    person = PersonFactory(email="person@example.org")
    referrer = UserFactory(role=Role.REFERRER, agency=person.agency, name="Rita Referrer")
    referral = ReferralFactory(
        service=service, person=person, referrer=referrer, holds_place=True, location=location
    )
    return Sides(
        referral=referral,
        provider=provider_user(organisation, name="Pat Provider"),
        provider_member=provider_user(organisation, role=MembershipRole.MEMBER, name="Mo Member"),
        referrer=referrer,
        service=service,
        location=location,
    )
