"""What the chat channels (Telegram, WhatsApp) use of the app context, as seam Protocols
(docs/DEVELOPING.md, "Layers"): ``TelegramChannel`` and ``WhatsAppChannel`` are built with the
context, which they read while they run (the core objects, the attachments and hand-off services,
features above this one); mypy checks in ``context.py`` that the AppContext satisfies these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from nura_appliance.channels.identity import IdentityService
from nura_appliance.channels.shared import PersonSite
from nura_appliance.conversation.pipeline import Pipeline
from nura_appliance.conversation.service import ConversationService
from nura_appliance.settings import Settings
from nura_appliance.storage.base import (
    AttachmentRecord,
    AttachmentStore,
    Cache,
    KnowledgeStore,
    SessionRecord,
    TurnRecord,
)
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (features below this one)
    from nura_appliance.auth.limits import RateLimiter
    from nura_appliance.jobs.service import JobService

__all__ = ["AttachmentIntake", "ChannelSite", "WhatsAppChannelSite"]


class AttachmentIntake(Protocol):
    """``ctx.attachments`` (``attachments.service.AttachmentService``, a feature above this one) as
    a channel uses it: a customer's files in, an agent's files out. The prepared files are the
    attachment feature's own type, handed back to it unchanged."""

    @property
    def store(self) -> AttachmentStore: ...
    async def prepare_all(self, files: list[tuple[str, bytes]]) -> list[Any]: ...
    async def from_customer(
        self, session: SessionRecord, prepared: list[Any], *, caption: str | None, lang: str, channel: str
    ) -> tuple[list[TurnRecord], list[AttachmentRecord]]: ...
    async def read_bytes(self, record: AttachmentRecord) -> bytes: ...


class ChannelSite(PersonSite, Protocol):
    """What ``TelegramChannel`` uses of the app context (and ``WhatsAppChannel``, with more)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def cache(self) -> Cache: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def knowledge(self) -> KnowledgeStore: ...
    @property
    def pipeline(self) -> Pipeline: ...
    @property
    def conversations(self) -> ConversationService: ...
    @property
    def attachments(self) -> AttachmentIntake | None: ...


class WhatsAppChannelSite(ChannelSite, Protocol):
    """What ``WhatsAppChannel`` uses of the app context besides a channel's: identities, the shared
    rate limiter and the job queue (queued sends)."""

    @property
    def identities(self) -> IdentityService | None: ...
    @property
    def limits(self) -> RateLimiter | None: ...
    @property
    def jobs(self) -> JobService | None: ...
