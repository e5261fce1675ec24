"""The one access table: every route declares who may call it.

What a **viewer** may see: aggregates (dashboard, reports, ratings, AI usage) and session metadata
(ids, channel, language, status, times, counts). Never what a customer or agent wrote: no
transcript, no search over message text, no knowledge-gap question text. Routes that serve a
viewer and others alike ask :func:`sees_transcripts` before they include or search text.

Levels, weakest first: ``public`` (anyone), ``session`` (a customer holding that session's
``session_token``; the handler checks which session), ``viewer``, ``agent``, ``admin`` (staff
roles; a higher role includes the lower ones). A route without a declared level is refused at
start-up (``check_routes``) and by the route-walk test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sanic import Request, Sanic

from nura_appliance.auth.site import auth_site
from nura_appliance.errors import Forbidden, NuraError, Unauthorized

PUBLIC, SESSION, VIEWER, AGENT, ADMIN = "public", "session", "viewer", "agent", "admin"
LEVELS = (PUBLIC, SESSION, VIEWER, AGENT, ADMIN)
ROLE_RANK = {"viewer": 1, "agent": 2, "admin": 3}

F = TypeVar("F", bound=Callable[..., Any])


def access(level: str) -> Callable[[F], F]:
    """Declare the access level of a route handler."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def mark(handler: F) -> F:
        handler.__nura_access__ = level  # type: ignore[attr-defined]
        return handler

    return mark


def level_of(handler: Any) -> str | None:
    if isinstance(handler, functools.partial) and getattr(handler, "__nura_access__", None) is None:
        # sanic-ext's automatic HEAD and OPTIONS routes: HEAD has the rule of the GET it
        # mirrors, OPTIONS (preflight, answered by the CORS middleware) is public. Resolved here
        # rather than only at start-up, because under ASGI those routes can be added later.
        mirrored = handler.keywords.get("get_handler")
        if mirrored is not None:
            return level_of(mirrored)
        if getattr(handler.func, "__name__", "") == "options_handler":
            return PUBLIC
    target = getattr(handler, "view_class", handler)
    level = getattr(target, "__nura_access__", None)
    if level is None:
        level = getattr(getattr(handler, "__wrapped__", None), "__nura_access__", None)
    return level


def check_routes(app: Sanic) -> None:
    """Refuse to start with a route that has no declared access level."""
    missing = [route.path for route in app.router.routes if level_of(route.handler) is None]
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(sorted(missing))}")


def require_role(request: Request, level: str) -> None:
    """Enforce a staff level for the request's principal (set by the auth middleware)."""
    principal = getattr(request.ctx, "principal", None)
    if principal is None:
        raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
    if ROLE_RANK.get(principal.role, 0) < ROLE_RANK[level]:
        raise Forbidden(f"this needs the {level} role")


def sees_transcripts(request: Request) -> bool:
    """Whether the caller may read or search what customers and agents wrote (agents and admins)."""
    principal = getattr(request.ctx, "principal", None)
    return principal is not None and ROLE_RANK.get(principal.role, 0) >= ROLE_RANK[AGENT]


def setup_access(app: Sanic) -> None:
    """Enforce the table on every request: sign the caller in from ``Authorization`` (through the
    auth service, when the auth feature is set up) and check the route's level."""

    # ``middleware("request", priority=…)``, which ``on_request(priority=…)`` calls: the same
    # registration, and the form Sanic types as a decorator (``on_request`` types its result as
    # the middleware itself).
    @app.middleware("request", priority=50)
    async def enforce_access(request: Request) -> None:
        route = request.route
        if route is None:
            return
        level = level_of(route.handler)
        if level is None:
            raise NuraError("route has no access rule", code="access_undeclared")
        authenticator = auth_site(request).auth
        if authenticator is not None and request.headers.get("authorization"):
            request.ctx.principal = await authenticator.principal_from_request(request)
        if level in (VIEWER, AGENT, ADMIN):
            require_role(request, level)
        elif level not in (PUBLIC, SESSION):
            raise NuraError("unknown access level", code="access_undeclared")
