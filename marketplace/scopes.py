"""Object-level scope rules: which objects each role may act on.

Platform admins pass every rule (see ``authz.can``). Everything not listed here is refused.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Role, User
from marketplace.authz import organisation_ids, scope_rule
from marketplace.directory.models import Location, Service
from marketplace.organisations.models import Organisation
from marketplace.people.models import NeedsAssessment, Person
from marketplace.referrals.models import Referral, ReferralState

ADMIN_ONLY = {"organisation:edit", "team:manage", "service:publish", "feedback:reply"}


def _provider_of(user: User, organisation_id: int, permission: str) -> bool:
    admin_only = permission in ADMIN_ONLY
    return organisation_id in organisation_ids(user, admin_only=admin_only)


@scope_rule(Organisation)
def organisation_scope(user: User, organisation: Organisation, permission: str) -> bool:
    return _provider_of(user, organisation.id, permission)


@scope_rule(Service)
def service_scope(user: User, service: Service, permission: str) -> bool:
    return _provider_of(user, service.organisation_id, permission)


@scope_rule(Location)
def location_scope(user: User, location: Location, permission: str) -> bool:
    return _provider_of(user, location.organisation_id, permission)


@scope_rule(Person)
def person_scope(user: User, person: Person, permission: str) -> bool:
    return user.role == Role.REFERRER and person.agency_id == user.agency_id


@scope_rule(NeedsAssessment)
def assessment_scope(user: User, assessment: NeedsAssessment, permission: str) -> bool:
    return person_scope(user, assessment.person, permission)


@scope_rule(Referral)
def referral_scope(user: User, referral: Referral, permission: str) -> Any:
    if user.role == Role.REFERRER:
        return referral.agency_id == user.agency_id
    if user.role == Role.PROVIDER:
        # A draft is the referrer's own until it is sent.
        if referral.state == ReferralState.DRAFT:
            return False
        return _provider_of(user, referral.organisation_id, permission)
    return False
