"""Deny-by-default authorisation: named permissions granted to roles, one ``can()``.

Every view declares either ``@requires("permission")`` or ``@public``; a test walks
``app.url_map`` and fails for any endpoint that declares neither. Object-level scope
(provider A never sees provider B's referrals) is decided by scope rules registered per
model class, so ``can(user, "referral:view", referral)`` checks both the role and the
object. Loaders such as ``get_or_404`` answer 404 rather than 403 so that ids don't leak.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user
from sqlalchemy.orm.interfaces import ORMOption

from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.organisations.models import MembershipRole


class Actor(enum.StrEnum):
    """The effective role a permission is granted to."""

    PLATFORM_ADMIN = "platform_admin"
    PROVIDER_ADMIN = "provider_admin"
    PROVIDER_MEMBER = "provider_member"
    REFERRER = "referrer"
    COMMISSIONER = "commissioner"


PROVIDERS = {Actor.PROVIDER_ADMIN, Actor.PROVIDER_MEMBER}
EVERYONE = set(Actor)

# Permission name -> the actors it is granted to. Adding a route means adding (or reusing)
# a name here; nothing is granted implicitly.
GRANTS: dict[str, set[Actor]] = {
    "dashboard:view": EVERYONE,
    "account:manage": EVERYONE,
    # Organisations and their directory entries.
    "organisation:view": PROVIDERS | {Actor.PLATFORM_ADMIN},
    "organisation:edit": {Actor.PROVIDER_ADMIN, Actor.PLATFORM_ADMIN},
    "organisation:verify": {Actor.PLATFORM_ADMIN},
    "team:manage": {Actor.PROVIDER_ADMIN, Actor.PLATFORM_ADMIN},
    "service:edit": PROVIDERS | {Actor.PLATFORM_ADMIN},
    "service:publish": {Actor.PROVIDER_ADMIN, Actor.PLATFORM_ADMIN},
    "capacity:update": PROVIDERS | {Actor.PLATFORM_ADMIN},
    "location:edit": PROVIDERS | {Actor.PLATFORM_ADMIN},
    "directory:import": {Actor.PLATFORM_ADMIN},
    "directory:export": {Actor.PLATFORM_ADMIN, Actor.COMMISSIONER},
    # Finding services.
    "search:use": EVERYONE,
    # People, assessments and referrals.
    "person:manage": {Actor.REFERRER},
    "match:view": {Actor.REFERRER},
    "referral:create": {Actor.REFERRER},
    "referral:view": PROVIDERS | {Actor.REFERRER, Actor.PLATFORM_ADMIN},
    "referral:respond": PROVIDERS,
    "referral:withdraw": {Actor.REFERRER},
    "referral:message": PROVIDERS | {Actor.REFERRER},
    "appointment:manage": PROVIDERS,
    "feedback:give": PROVIDERS | {Actor.REFERRER},
    "feedback:reply": {Actor.PROVIDER_ADMIN},
    # Reading the comments shared on a service's page: the people who choose services and
    # the providers who answer them. Commissioners see aggregates only (the rating), as
    # they never see free text that could carry personal data.
    "feedback:read_shared": PROVIDERS | {Actor.REFERRER, Actor.PLATFORM_ADMIN},
    "feedback:moderate": {Actor.PLATFORM_ADMIN},
    "rating:view": PROVIDERS,
    "compliance:decide": {Actor.REFERRER},
    # Oversight.
    "coverage:view": {Actor.COMMISSIONER, Actor.PLATFORM_ADMIN},
    "audit:view": {Actor.PLATFORM_ADMIN},
    "outbox:manage": {Actor.PLATFORM_ADMIN},
    "platform:manage": {Actor.PLATFORM_ADMIN},
}


def actors_of(user: User) -> set[Actor]:
    """The effective roles a user holds (a provider may be admin of one organisation only)."""
    if user.role == Role.PROVIDER:
        return {
            Actor.PROVIDER_ADMIN if m.role == MembershipRole.ADMIN else Actor.PROVIDER_MEMBER
            for m in user.memberships
        }
    return {Actor(user.role.value)}


ScopeRule = Callable[[User, Any, str], bool]
_SCOPE_RULES: dict[type, ScopeRule] = {}

ModelT = TypeVar("ModelT")


def scope_rule(model: type) -> Callable[[ScopeRule], ScopeRule]:
    """Register who may act on instances of ``model``: ``rule(user, obj, permission)``."""

    def register(rule: ScopeRule) -> ScopeRule:
        _SCOPE_RULES[model] = rule
        return rule

    return register


def actors_may(user: Any) -> frozenset[Actor]:
    """The effective roles ``user`` acts under now: none for an anonymous or suspended
    user. Every permission a user holds follows from this set alone (``may``), so it keys
    whatever is worked out once per set of permissions (the navigation)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return frozenset(actors_of(user))


def may(actors: frozenset[Actor], permission: str) -> bool:
    """True if any of ``actors`` is granted ``permission`` (unknown permissions: never)."""
    granted = GRANTS.get(permission)
    return granted is not None and not actors.isdisjoint(granted)


def can(user: Any, permission: str, obj: Any = None) -> bool:
    """True if ``user`` holds ``permission``, and, when ``obj`` is given, may use it on ``obj``.

    Unknown permissions are refused (and fail loudly in tests through ``GRANTS`` lookups
    in the route test), anonymous users hold nothing, a platform admin passes every scope
    rule, and an object type with no scope rule is refused to everyone but platform admins.
    """
    held = actors_may(user)
    if not may(held, permission):
        return False
    if obj is None or Actor.PLATFORM_ADMIN in held:
        return True
    for model, rule in _SCOPE_RULES.items():
        if isinstance(obj, model):
            return rule(user, obj, permission)
    return False


def organisation_ids(user: User, *, admin_only: bool = False) -> set[int]:
    """Organisations the user belongs to (as admin only, if asked)."""
    return {
        m.organisation_id
        for m in user.memberships
        if not admin_only or m.role == MembershipRole.ADMIN
    }


ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def requires(permission: str) -> Callable[[ViewT], ViewT]:
    """Declare that a view needs ``permission``; anonymous users are sent to sign in
    (401 JSON on the API), signed-in users without it get 403."""
    if permission not in GRANTS:
        raise KeyError(f"Unknown permission {permission!r}: add it to GRANTS")

    def decorate(view: ViewT) -> ViewT:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            # The user behind the proxy: each attribute read through it costs a lookup.
            user = current_user._get_current_object()  # type: ignore[attr-defined]
            if not user.is_authenticated:
                abort(401)
            if not can(user, permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: ViewT) -> ViewT:
    """Declare that a view is deliberately open to everyone, signed in or not."""
    view.public = True  # type: ignore[attr-defined]
    return view


def get_or_404(
    model: type[ModelT], ident: Any, permission: str, options: Sequence[ORMOption] = ()
) -> ModelT:
    """Load ``model`` by primary key if the current user may use ``permission`` on it
    (with loader ``options``, e.g. to load what the caller reads in the same query).

    Answers 404 both when it does not exist and when the user may not see it.
    """
    obj = db.session.get(model, ident, options=options)
    if obj is None or not can(current_user, permission, obj):
        abort(404)
    return obj


def wants_json() -> bool:
    """True for API requests, which get JSON errors rather than pages."""
    return request.path.startswith("/api/")
