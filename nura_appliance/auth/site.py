"""What the auth feature uses of the app context, as a seam Protocol (docs/DEVELOPING.md,
"Layers"): the feature names it instead of ``context.AppContext``, which sits above it; mypy checks
in ``context.py`` that the AppContext satisfies it."""

from __future__ import annotations

from typing import Protocol

from sanic import Request

from nura_appliance.auth.audit import AuditService
from nura_appliance.auth.limits import RateLimiter
from nura_appliance.auth.service import AuthService, UserService
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache
from nura_appliance.storage.stores import Stores

__all__ = ["AuthSite", "auth_site"]


class AuthSite(Protocol):
    """What the auth routes and start-up hook use of the app context: read-only members as
    properties, the services the feature builds as attributes."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def cache(self) -> Cache: ...

    audit: AuditService | None
    users: UserService | None
    auth: AuthService | None
    limits: RateLimiter | None


def auth_site(request: Request) -> AuthSite:
    site: AuthSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site
