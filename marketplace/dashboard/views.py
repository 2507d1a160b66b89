"""The page each role lands on after signing in."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.authz import requires
from marketplace.dashboard import queries

blueprint = Blueprint("dashboard", __name__)


@blueprint.get("/dashboard")
@requires("dashboard:view")
def index() -> str:
    role = current_user.role
    if role == Role.PLATFORM_ADMIN:
        return render_template("dashboard/platform_admin.html", summary=queries.platform_summary())
    if role == Role.PROVIDER:
        return render_template(
            "dashboard/provider.html", organisations=queries.provider_summary(current_user)
        )
    if role == Role.REFERRER:
        return render_template(
            "dashboard/referrer.html", summary=queries.referrer_summary(current_user)
        )
    return render_template(
        "dashboard/commissioner.html", areas=queries.commissioner_summary(current_user)
    )
