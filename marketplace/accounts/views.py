"""Sign in, sign out and password reset."""

from __future__ import annotations

from functools import cache

from flask import (
    Blueprint,
    Request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from marketplace.accounts import services, tokens
from marketplace.accounts.forms import ForgotPasswordForm, NewPasswordForm, SignInForm
from marketplace.accounts.models import User
from marketplace.authz import public, requires
from marketplace.extensions import db, limiter, login_manager
from marketplace.jobs import commit

Page = str | Response | tuple[str, int]

blueprint = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # The API never trusts the session cookie (that would need CSRF protection);
    # it authenticates each request by bearer token instead.
    if request.path.startswith("/api/"):
        return None
    return db.session.execute(_signed_in_user(), {"user_id": int(user_id)}).unique().scalar()


@cache
def _signed_in_user() -> Select[User]:
    """The user with their memberships, which every page's permission checks read: one
    query, built once (SQLAlchemy then reuses its compiled form without rebuilding it)."""
    return select(User).options(joinedload(User.memberships)).where(User.id == bindparam("user_id"))


@login_manager.request_loader
def load_user_from_api_token(request: Request) -> User | None:
    """API clients authenticate with a bearer token; pages use the session cookie."""
    if not request.path.startswith("/api/"):
        return None
    return tokens.user_from_request(request)


def _sign_in_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the next parameter cannot send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@blueprint.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            form.email.errors.append("Enter a correct email address and password")
        elif not user.active:
            form.email.errors.append("Your account is suspended. Contact your administrator")
        else:
            login_user(user)
            services.record_sign_in(user)
            commit()
            return redirect(_safe_next(request.args.get("next")))
        return render_template("accounts/sign_in.html", form=form), 400
    status = 400 if form.errors else 200
    return render_template("accounts/sign_in.html", form=form), status


@blueprint.post("/sign-out")
@requires("account:manage")
def sign_out() -> Response:
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@blueprint.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(_sign_in_limit, methods=["POST"])
def forgot_password() -> Page:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data or "")
        commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    status = 400 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@blueprint.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> Page:
    try:
        user = services.user_for_reset_token(token)
    except services.ResetTokenError as error:
        return render_template("accounts/reset_invalid.html", reason=str(error)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data or "")
        commit()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    status = 400 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form), status
