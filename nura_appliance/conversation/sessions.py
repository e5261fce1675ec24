"""Customer sessions: creation with a secret token, the live cache in front of the durable store,
and token checks.

The cache holds the session record for ``SESSION_TTL_SECONDS`` (``HANDOFF_SESSION_TTL_SECONDS``
once a person is involved). Every change is written to the durable store first; a cache miss
restores the session from the store and re-warms the cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any

from nura_appliance.errors import Forbidden, NotFound, Unauthorized
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache, SessionRecord, SessionStore

_HUMAN_STATUSES = ("pending_handoff", "human_active")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(session_id: str) -> str:
    return f"session:{session_id}"


class SessionService:
    def __init__(self, settings: Settings, store: SessionStore, cache: Cache) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache

    def ttl_for(self, session: SessionRecord) -> int:
        if session.status in _HUMAN_STATUSES or session.handoff_at:
            return int(self.settings.handoff_session_ttl_seconds)
        return int(self.settings.session_ttl_seconds)

    def new(
        self, *, customer_id: str | None, channel: str, lang: str, meta: dict[str, Any] | None = None
    ) -> tuple[SessionRecord, str]:
        """A new session record (not yet stored) and its secret token."""
        # One 48-byte read from the OS random source gives both the 32-byte token (what
        # secrets.token_urlsafe(32) makes) and the uuid4 id: one system call per new session, not two.
        raw = secrets.token_bytes(48)
        token = base64.urlsafe_b64encode(raw[:32]).rstrip(b"=").decode("ascii")
        now = time.time()
        record = SessionRecord(
            id=str(uuid.UUID(bytes=raw[32:], version=4)),
            token_hash=hash_token(token),
            customer_id=customer_id,
            channel=channel,
            lang=lang,
            created_at=now,
            updated_at=now,
            meta=meta or {},
        )
        return record, token

    async def warm(self, session: SessionRecord) -> None:
        await self.cache.set(_key(session.id), session.to_dict(), ttl=self.ttl_for(session))

    async def get(self, session_id: str) -> SessionRecord | None:
        """Cache first; on a miss restore from the durable store and re-warm the cache."""
        cached = await self.cache.get(_key(session_id))
        if cached is not None:
            return SessionRecord.from_dict(cached)
        session = await self.store.get(session_id)
        if session is not None:
            await self.warm(session)
        return session

    async def require(self, session_id: str) -> SessionRecord:
        session = await self.get(session_id)
        if session is None:
            raise NotFound("no session with this id", code="session_not_found")
        return session

    async def authorize(self, session_id: str, token: str | None) -> SessionRecord:
        """The session, if ``token`` is the one issued for it; 401 without a token, 403 with a wrong one."""
        if not token:
            raise Unauthorized("this session needs its session_token", code="session_token_required")
        session = await self.require(session_id)
        if not hmac.compare_digest(session.token_hash, hash_token(token)):
            raise Forbidden("the session_token does not belong to this session", code="session_token_invalid")
        return session

    async def save(self, session: SessionRecord) -> None:
        session.updated_at = time.time()
        await self.store.save(session)
        await self.warm(session)

    async def forget(self, session_id: str) -> None:
        await self.cache.delete(_key(session_id))
