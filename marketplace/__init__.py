"""Pathways: the Flask application factory."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

from flask import Flask, request
from jinja2 import (
    ChoiceLoader,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
)
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from marketplace import driver
from marketplace.config import ConfigurationError, load_config
from marketplace.extensions import api as smorest_api
from marketplace.extensions import csrf, db, limiter, login_manager, migrate, wtforms_helpers
from marketplace.json_provider import OrjsonProvider
from marketplace.routing import RowId
from marketplace.templating import TemplateEnvironment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None) -> Flask:
    """Build the application. ``config_name`` is production, development or test
    (default: the ``PATHWAYS_ENV`` environment variable, else production).

    A missing setting or an unreachable database stops start-up with one line that
    says what to set.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    try:
        app.config.from_object(load_config(config_name))
    except ConfigurationError as error:
        sys.exit(f"Pathways cannot start: {error}")

    app.json = OrjsonProvider(app)
    # Before any route is added: every <int:...> in a path is a row id the database holds.
    app.url_map.converters["int"] = RowId
    app.jinja_environment = TemplateEnvironment  # before anything creates app.jinja_env
    _configure_templates(app)
    _init_extensions(app)
    _register_blueprints(app)

    from marketplace import cli, errors, scopes  # noqa: F401  (registers scope rules)
    from marketplace.referrals import queries as referral_queries
    from search import sync as search_sync

    errors.register(app)
    cli.register(app)
    search_sync.install()
    referral_queries.install()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    if not app.testing:
        _check_database(app)
        _tune_garbage_collection()
    return app


def _tune_garbage_collection() -> None:
    """Keep Python's cycle collector out of the way of requests.

    Everything created so far (modules, models, the app) lives as long as the process:
    frozen, it is never scanned again; a full collection over it took up to 345 ms on a
    loaded machine, a stall in some unlucky request. A page allocates a few thousand
    short-lived objects, so with the default threshold of 700 the young generation was
    collected on nearly every request (0.5 ms each); at 10,000 it is every few dozen.
    Not in tests, whose warnings-as-errors depend on when unclosed resources are found.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _configure_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Compiled templates are kept on disk (keyed by a checksum of the source), so a new
    # worker process does not re-parse the GOV.UK macros before its first page.
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()
    from marketplace import template_globals
    from marketplace.referrals import inbox_fragments

    template_globals.register(app)
    inbox_fragments.register(app)


def _init_extensions(app: Flask) -> None:
    import marketplace.models  # noqa: F401  (the whole schema, for Alembic)

    driver.tune()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    # Pages are protected from CSRF; the API takes bearer tokens only, never cookies.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _protect_pages_from_csrf() -> None:
        if not request.path.startswith("/api/"):
            csrf.protect()

    limiter.init_app(app)
    wtforms_helpers.init_app(app)
    smorest_api.init_app(app)
    from marketplace.api import register as register_api_blueprints

    register_api_blueprints(smorest_api)


def _register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import blueprint as accounts
    from marketplace.dashboard.views import blueprint as dashboard
    from marketplace.directory.views import blueprint as directory
    from marketplace.matches.views import blueprint as matches
    from marketplace.notifications.views import blueprint as notifications
    from marketplace.pages import blueprint as pages
    from marketplace.people.views import blueprint as people
    from marketplace.referrals.moderation_views import blueprint as feedback_admin
    from marketplace.referrals.person_link_views import blueprint as person_link
    from marketplace.referrals.views import blueprint as referrals
    from marketplace.service_search.views import blueprint as search_pages
    from onboarding.views import blueprint as onboarding

    app.register_blueprint(pages)
    app.register_blueprint(accounts)
    app.register_blueprint(dashboard)
    app.register_blueprint(people)
    app.register_blueprint(matches)
    app.register_blueprint(directory)
    app.register_blueprint(onboarding)
    app.register_blueprint(referrals)
    app.register_blueprint(person_link)
    app.register_blueprint(notifications)
    app.register_blueprint(feedback_admin)
    app.register_blueprint(search_pages)


def _check_database(app: Flask) -> None:
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            sys.exit(
                f"Pathways cannot reach the database ({reason}). "
                "Check DATABASE_URL and that PostgreSQL is running."
            )
