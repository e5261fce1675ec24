"""What the hand-off feature uses of the app context, as seam Protocols (docs/DEVELOPING.md,
"Layers"): the feature names these instead of ``context.AppContext``, which sits above it; mypy
checks in ``context.py`` that the AppContext satisfies them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sanic import Request

from nura_appliance.channels.identity import IdentityService
from nura_appliance.channels.shared import ReplyGuard
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.handoff.customer import FeedbackSite, LimiterSite, PendingSite, RatingSite, WindowLimiter
from nura_appliance.handoff.service import HandoffService
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache, SessionStore
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (features below this one)
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.auth.limits import RateLimiter
    from nura_appliance.auth.service import UserService
    from nura_appliance.jobs.service import JobService

__all__ = ["AttachmentOffer", "GuardSite", "HandoffSite", "OriginalInbox", "handoff_site"]


class AttachmentOffer(Protocol):
    """``ctx.attachments`` (``attachments.service.AttachmentService``, a feature above this one)
    as the widget configuration reads it: what a customer may attach."""

    def config(self) -> dict[str, Any]: ...


class OriginalInbox(Protocol):
    """``ctx.original`` (``original.wire.OriginalWire``, a feature above this one) as the
    suggestions route uses it: the original widget's body and answer."""

    def wants_suggestion(self, request: Request) -> bool: ...
    def suggestion_fields(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def suggestion_answer(self, row: dict[str, Any]) -> dict[str, Any]: ...


class GuardSite(Protocol):
    """What ``check_reply_guards`` needs: the channels' agent-reply guards."""

    @property
    def reply_guards(self) -> list[ReplyGuard]: ...


class HandoffSite(GuardSite, LimiterSite, PendingSite, RatingSite, FeedbackSite, Protocol):
    """What the hand-off routes and start-up hook use of the app context: read-only members as
    properties, the fields the feature sets as attributes. It extends the narrow sites of
    ``handoff.customer``'s helpers (they live there: this module imports ``WindowLimiter`` from it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def cache(self) -> Cache: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def sessions_store(self) -> SessionStore: ...
    @property
    def users(self) -> UserService | None: ...
    @property
    def jobs(self) -> JobService | None: ...
    @property
    def audit(self) -> AuditService | None: ...
    @property
    def limits(self) -> RateLimiter | None: ...
    @property
    def identities(self) -> IdentityService | None: ...
    @property
    def attachments(self) -> AttachmentOffer | None: ...
    @property
    def original(self) -> OriginalInbox | None: ...

    handoff: HandoffService | None
    handoff_limiter: WindowLimiter | None


def handoff_site(request: Request) -> HandoffSite:
    site: HandoffSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site
