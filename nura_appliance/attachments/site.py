"""What the attachment routes use of the app context, as a seam Protocol (docs/DEVELOPING.md,
"Layers"): the feature names it instead of ``context.AppContext``, which sits above it; mypy checks
in ``context.py`` that the AppContext satisfies it."""

from __future__ import annotations

from typing import Protocol

from sanic import Request

from nura_appliance.attachments.service import AttachmentService
from nura_appliance.auth.limits import RateLimiter
from nura_appliance.channels.identity import IdentityService
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.handoff.site import GuardSite
from nura_appliance.settings import Settings

__all__ = ["AttachmentRoutesSite", "attachment_service", "attachments_site"]


class AttachmentRoutesSite(GuardSite, Protocol):
    """What the upload and download routes read: the service this feature sets at start-up, the
    sessions (token checks, new sessions), the rate limiter and the identity service when their
    features are set up, and the channels' agent-reply guards (``GuardSite``)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def limits(self) -> RateLimiter | None: ...
    @property
    def identities(self) -> IdentityService | None: ...
    @property
    def attachments(self) -> AttachmentService | None: ...


def attachments_site(request: Request) -> AttachmentRoutesSite:
    site: AttachmentRoutesSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site


def attachment_service(site: AttachmentRoutesSite) -> AttachmentService:
    """``site.attachments``, which this feature's start-up hook sets before the server takes a
    request (the routes exist only with the feature)."""
    service = site.attachments
    if service is None:  # set up with its routes: never at run time
        raise RuntimeError("the attachments feature is not set up (ctx.attachments)")
    return service
