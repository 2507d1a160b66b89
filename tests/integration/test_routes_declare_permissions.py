"""Deny by default: every endpoint declares a permission or is explicitly public."""

from __future__ import annotations

from flask import Flask

from marketplace.authz import GRANTS

# Endpoints that belong to libraries, not to us, and are public by nature.
LIBRARY_PUBLIC = {"static", "api-docs.openapi_json", "api-docs.openapi_redoc"}


def _declaration(view) -> tuple[bool, str | None]:  # noqa: ANN001
    view_class = getattr(view, "view_class", None)
    candidates = [view]
    if view_class is not None:
        candidates += [
            getattr(view_class, m, None) for m in ("get", "post", "put", "patch", "delete")
        ]
    public = any(getattr(c, "public", False) for c in candidates if c)
    permissions = {getattr(c, "permission", None) for c in candidates if c} - {None}
    return public, next(iter(permissions), None)


def test_every_endpoint_declares_a_permission_or_is_public(app: Flask) -> None:
    undeclared = []
    unknown = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIBRARY_PUBLIC:
            continue
        public, permission = _declaration(app.view_functions[rule.endpoint])
        if not public and permission is None:
            undeclared.append(f"{rule.endpoint} ({rule.rule})")
        if permission is not None and permission not in GRANTS:
            unknown.append(f"{rule.endpoint}: {permission}")
    assert undeclared == [], "Endpoints with no permission and no @public: " + ", ".join(undeclared)
    assert unknown == []


def test_the_check_notices_an_undeclared_endpoint(app: Flask) -> None:
    def sneaky() -> str:
        return "secret"

    public, permission = _declaration(sneaky)
    assert (public, permission) == (False, None)
