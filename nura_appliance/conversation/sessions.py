"""Customer sessions: creation with a secret token, the live cache in front of the durable store,
and token checks.

The cache (this process's memory in the one-process SQLite appliance, else the shared cache)
holds the session record for ``SESSION_TTL_SECONDS`` (``HANDOFF_SESSION_TTL_SECONDS`` once a
person is involved). Every change is written to the durable store first; a cache miss
restores the session from the store and re-warms the cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import marshal
import secrets
import threading
import time
import uuid
from typing import Any

from cachetools import TLRUCache

from nura_appliance.errors import Forbidden, NotFound, Unauthorized
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache, SessionRecord, SessionStore

_HUMAN_STATUSES = ("pending_handoff", "human_active")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(session_id: str) -> str:
    return f"session:{session_id}"


class SessionService:
    """``local``: keep live sessions in this process's memory instead of the shared cache.

    The SQLite appliance serves HTTP from one process, so its live sessions need no shared
    cache: a diskcache write per message (a thread hop and an SQLite transaction) was the largest
    cost of ``POST /v1/message`` after the article tier (docs/PERFORMANCE.md). A miss — after a
    restart, or once an entry expired or was evicted — restores the session from the durable store,
    as a diskcache miss did. With several workers (Redis) the cache stays shared.
    """

    def __init__(
        self, settings: Settings, store: SessionStore, cache: Cache, *, local: bool = False, max_local: int = 50_000
    ) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache
        self._memory: TLRUCache[str, tuple[float, bytes]] | None = None
        if local:
            # Each entry expires after its own TTL (bot and hand-off sessions differ); least
            # recently used entries go first when full.
            self._memory = TLRUCache(maxsize=max_local, ttu=lambda _key, entry, now: now + entry[0])
        # Job handlers call in from consumer threads; cachetools is not thread-safe on its own.
        self._lock = threading.Lock()

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
        if self._memory is not None:
            # Kept as marshal bytes, not as a dict: tens of thousands of live dicts made every full
            # garbage collection walk them all (pauses of 50-170 ms that stalled every request).
            packed = marshal.dumps(session.to_dict())
            with self._lock:
                self._memory[session.id] = (float(self.ttl_for(session)), packed)
            return
        await self.cache.set(_key(session.id), session.to_dict(), ttl=self.ttl_for(session))

    async def get(self, session_id: str) -> SessionRecord | None:
        """Cache first; on a miss restore from the durable store and re-warm the cache."""
        if self._memory is not None:
            with self._lock:
                entry = self._memory.get(session_id)
            cached = marshal.loads(entry[1]) if entry is not None else None
        else:
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

    async def linked(self, session_id: Any, token: Any) -> str | None:
        """The id to link a customer's write (suggestion, offline request, widget event) to: the
        session when ``token`` is its token, else None, so the write is stored unlinked. Whether a
        session exists is never told: an unknown id, a wrong token and no token all give None."""
        if not isinstance(session_id, str) or not isinstance(token, str) or not session_id or not token:
            return None
        session = await self.get(session_id)
        if session is None or not hmac.compare_digest(session.token_hash, hash_token(token)):
            return None
        return session.id

    async def save(self, session: SessionRecord) -> None:
        session.updated_at = time.time()
        await self.store.save(session)
        await self.warm(session)

    async def set_rating(self, session: SessionRecord, score: int) -> None:
        """Store the customer's rating on its own (a message saved meanwhile keeps it), then cache."""
        session.updated_at = time.time()
        await self.store.set_rating(session.id, score, session.updated_at)
        session.rating = score
        await self.warm(session)

    async def forget(self, session_id: str) -> None:
        if self._memory is not None:
            with self._lock:
                self._memory.pop(session_id, None)
            return
        await self.cache.delete(_key(session_id))

    async def cached(self, session_id: str) -> dict[str, Any] | None:
        """The cached copy of a session, if any (no store fallback)."""
        if self._memory is not None:
            with self._lock:
                entry = self._memory.get(session_id)
            return marshal.loads(entry[1]) if entry is not None else None
        return await self.cache.get(_key(session_id))

    async def forget_all(self) -> None:
        """Drop every cached session (the durable store restores each on its next use)."""
        if self._memory is not None:
            with self._lock:
                self._memory.clear()
            return
        await self.cache.clear()
