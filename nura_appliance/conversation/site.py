"""What the conversation routes use of the app context, as a seam Protocol (docs/DEVELOPING.md,
"Layers"): the feature names it instead of ``context.AppContext``, which sits above it; mypy checks
in ``context.py`` that the AppContext satisfies it.

The original NURA wire and the customer identities belong to features above this one (they import
the conversation feature), so the routes see them as the small Protocols below."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sanic import Request
from sanic.response import HTTPResponse

from nura_appliance.conversation.pipeline import Pipeline
from nura_appliance.conversation.service import ConversationService
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.settings import Settings
from nura_appliance.storage.base import KnowledgeStore, SessionStore

if TYPE_CHECKING:  # annotations only (a feature below this one)
    from nura_appliance.auth.limits import RateLimiter

__all__ = ["ConversationSite", "CustomerIdentities", "OriginalEmbeds", "conversation_site"]


class OriginalEmbeds(Protocol):
    """``ctx.original`` (``original.wire.OriginalWire``) as the message and topic-tree routes use
    it: the original widget's calls on the paths both widgets share."""

    def wants_attachment_message(self, body: object) -> bool: ...
    async def attachment_message(self, request: Request, body: dict[str, Any]) -> HTTPResponse: ...
    def wants_tree(self, request: Request) -> bool: ...
    async def topic_tree(self, request: Request) -> HTTPResponse: ...


class CustomerIdentities(Protocol):
    """``ctx.identities`` (``channels.identity.IdentityService``) as the message route uses it."""

    async def remember_from_body(self, session_id: str, body: Any, *, new_session: bool) -> None: ...


class ConversationSite(Protocol):
    """What the conversation routes use of the app context (all read-only)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def knowledge(self) -> KnowledgeStore: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def sessions_store(self) -> SessionStore: ...
    @property
    def pipeline(self) -> Pipeline: ...
    @property
    def conversations(self) -> ConversationService: ...
    @property
    def limits(self) -> RateLimiter | None: ...
    @property
    def identities(self) -> CustomerIdentities | None: ...
    @property
    def original(self) -> OriginalEmbeds | None: ...


def conversation_site(request: Request) -> ConversationSite:
    site: ConversationSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site
