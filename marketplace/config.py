"""Configuration read from the environment, and nothing else.

Each setting comes from one environment variable; the test configuration overrides a
few for speed and determinism. A missing ``DATABASE_URL`` is a start-up error that names
the variable, never a silent fallback to another database.
"""

from __future__ import annotations

import os
from datetime import timedelta


class ConfigurationError(RuntimeError):
    """Raised at start-up when a required setting is missing or wrong."""


def _database_url(name: str = "DATABASE_URL") -> str:
    url = os.environ.get(name, "").strip()
    if not url:
        raise ConfigurationError(
            f"{name} is not set. Set it to a PostgreSQL URL, for example "
            "postgresql+psycopg://postgres@127.0.0.1:5432/pathways"
        )
    # Accept the common postgres:// and postgresql:// forms and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Production settings. Secure by default."""

    TESTING = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # Templates are compiled once per process and never re-checked on disk: a deploy
    # restarts the workers. (Development leaves this to Flask: it reloads in debug mode.)
    TEMPLATES_AUTO_RELOAD: bool | None = False
    PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds a reset link stays valid
    INVITATION_MAX_AGE = 60 * 60 * 24 * 7
    SIGN_IN_RATE_LIMIT = "10 per 5 minutes"
    RATELIMIT_HEADERS_ENABLED = True
    SERVICE_NAME = "Pathways"
    API_TITLE = "Pathways API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = "/docs"
    OPENAPI_REDOC_URL = "/static/vendor/redoc/redoc.standalone.js"
    DATABASE_ENV = "DATABASE_URL"
    ELASTICSEARCH_INDEX = "pathways-services"  # an alias; the reindex swaps its index
    ELASTICSEARCH_TIMEOUT = 2.0  # seconds; slower than this, PostgreSQL answers instead
    SEARCH_API_RATE_LIMIT = "120 per minute"
    MAP_TILE_DEFAULT = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_ATTRIBUTION_DEFAULT = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    # The referral lifecycle.
    RESPONSE_WORKING_DAYS = 2  # providers respond to a new referral within this
    BREACH_UNEXPLAINED_ABSENCES = 2  # unexplained did-not-attends that raise an alert
    APPOINTMENT_REMINDER_HOURS = (48, 2)  # reminders to the person before an appointment
    PERSON_LINK_DAYS = 60  # how long a person's tokenised link works
    CHECK_IN_OPENS_MINUTES = 120  # the person may check in from this long before the start
    SWEEP_INTERVAL_MINUTES = 5  # flask worker sweeps reminders, nudges and the outbox

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = _database_url(self.DATABASE_ENV)
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL") or None
        self.NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY") or None
        # Map tiles are the only thing a browser fetches from elsewhere; maps still show
        # their markers, and pages their text list, when tiles cannot load.
        self.MAP_TILE_URL = os.environ.get("MAP_TILE_URL") or self.MAP_TILE_DEFAULT
        self.MAP_TILE_ATTRIBUTION = (
            os.environ.get("MAP_TILE_ATTRIBUTION") or self.MAP_ATTRIBUTION_DEFAULT
        )
        # Where links in e-mails sent by background jobs (reminders) point.
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or "http://localhost:5000"
        secret = os.environ.get("SECRET_KEY")
        if not secret:
            raise ConfigurationError("SECRET_KEY is not set. Set it to a long random string.")
        self.SECRET_KEY = secret
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"


class DevelopmentConfig(Config):
    """Local development: plain-HTTP cookies, a default secret."""

    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    TEMPLATES_AUTO_RELOAD = None

    def __init__(self) -> None:
        os.environ.setdefault("SECRET_KEY", "development-only-secret")
        super().__init__()


class TestConfig(DevelopmentConfig):
    """Test runs: the test database; CSRF, rate limits and argon2 exactly as in production."""

    TESTING = True
    DATABASE_ENV = "TEST_DATABASE_URL"


CONFIGS: dict[str, type[Config]] = {
    "production": Config,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def load_config(name: str | None) -> Config:
    """Build the configuration named by ``name`` or by ``PATHWAYS_ENV`` (default: production)."""
    name = name or os.environ.get("PATHWAYS_ENV", "production")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigurationError(
            f"PATHWAYS_ENV={name!r} is not one of {', '.join(CONFIGS)}"
        ) from None
