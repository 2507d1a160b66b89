"""The JSON API at /api/v1 (flask-smorest + marshmallow), authenticated by bearer token.

Each domain contributes a flask-smorest Blueprint; ``register`` adds them all.
"""

from __future__ import annotations

from flask_smorest import Api


def register(api: Api) -> None:
    """Register every /api/v1 blueprint (one import and one line per domain)."""
    if "bearerAuth" not in api.spec.components.security_schemes:
        api.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token"}
        )
    from marketplace.matches.api import blueprint as referrals
    from marketplace.referrals.lifecycle_api import blueprint as referral_lifecycle
    from marketplace.service_search.api import blueprint as services
    from onboarding.api import blueprint as capacity

    api.register_blueprint(referrals)
    api.register_blueprint(capacity)
    api.register_blueprint(referral_lifecycle)
    api.register_blueprint(services)
