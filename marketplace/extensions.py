"""Flask extensions, created unbound here and bound in ``create_app``."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from marketplace.api.errors import ApiErrorsSchema

# Stable constraint names so Alembic can diff and drop them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """The typed declarative base every model inherits (``Model`` is the same class
    as far as Flask-SQLAlchemy is concerned, but mypy can see this one)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Api(SmorestApi):
    """flask-smorest, documenting errors in the shape the API really answers them
    (``marketplace.errors`` handles every HTTP error, not flask-smorest)."""

    ERROR_SCHEMA = ApiErrorsSchema


db = SQLAlchemy(model_class=Model)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = Api()
wtforms_helpers = WTFormsHelpers()

# Endpoints the rate limiter skips (see ``not_rate_limited``): pages with no limit
# of their own, busy enough that the limiter's per-request work shows.
NOT_RATE_LIMITED = frozenset({"referrals.index"})


@limiter.request_filter
def not_rate_limited() -> bool:
    """Flask-Limiter request filter: True for an endpoint in ``NOT_RATE_LIMITED``.

    Pathways has no default or application-wide limits, only limits on named views (sign
    in, the search API), so on any other view the limiter's before-request hook finds
    nothing to count, after resolving the view's limits and exemptions: some 250 Python
    calls, a twentieth of the inbox page's. A filter ends most of it (150 calls fewer).
    """
    return request.endpoint in NOT_RATE_LIMITED
