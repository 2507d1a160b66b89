"""Onboarding pages. Importing this package attaches every view to the blueprint."""

from onboarding.blueprint import blueprint
from onboarding.views import (  # noqa: F401  (each module adds its routes)
    capacity,
    imports,
    locations,
    services,
    signup,
    team,
    verification,
)

__all__ = ["blueprint"]
