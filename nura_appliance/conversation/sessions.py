"""Customer sessions: creation with a secret token, the live cache in front of the durable store,
and token checks.

The cache (this process's memory in the one-process SQLite appliance, else the shared cache)
holds the session record for ``SESSION_TTL_SECONDS`` (``HANDOFF_SESSION_TTL_SECONDS`` once a
person is involved). Every change is written to the durable store first; a cache miss
restores the session from the store and re-warms the cache.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import marshal
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from cachetools import TLRUCache

from nura_appliance.errors import Conflict, Forbidden, NotFound, Unauthorized
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache, SessionChange, SessionCommand, SessionRecord, SessionStore

_HUMAN_STATUSES = ("pending_handoff", "human_active")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(session_id: str) -> str:
    return f"session:{session_id}"


# How long a worker may hold a session's cross-worker message lock (Redis) before it lapses on its
# own: longer than any answer takes (LLM timeouts included), short enough that a worker killed
# mid-message does not block the session for long.
LOCK_LEASE_SECONDS = 120.0
_LOCK_POLL_SECONDS = 0.02


class SessionBusy(Conflict):
    """409 ``busy``: an earlier message of the same session is still being answered."""

    code = "busy"


class SessionService:
    """``local``: keep live sessions in this process's memory instead of the shared cache.

    The SQLite appliance serves HTTP from one process, so its live sessions need no shared
    cache: a diskcache write per message (a thread hop and an SQLite transaction) was the largest
    cost of ``POST /v1/message`` after the article tier (docs/PERFORMANCE.md). A miss — after a
    restart, or once an entry expired or was evicted — restores the session from the durable store,
    as a diskcache miss did. With several workers (Redis) the cache stays shared.
    """

    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        cache: Cache,
        *,
        local: bool = False,
        max_local: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache
        # The clock of the in-memory TTLs (seconds, never going back). Public so that a test can
        # move time on instead of sleeping; set it before the first session is cached.
        self.clock = clock
        self._memory: TLRUCache[str, tuple[float, int, bytes]] | None = None
        if local:
            # Each entry expires after its own TTL (bot and hand-off sessions differ); least
            # recently used entries go first when full.
            self._memory = TLRUCache(
                maxsize=max_local, ttu=lambda _key, entry, now: now + entry[0], timer=lambda: self.clock()
            )
        # Job handlers call in from consumer threads; cachetools is not thread-safe on its own.
        self._lock = threading.Lock()
        # Per-session message order in this process: a lock per session with waiters (and a count
        # of its users, so that the dict only holds sessions with a message in flight).
        self._order: dict[str, tuple[asyncio.Lock, int]] = {}
        # Across workers (Redis): a short lock in the shared cache, when the cache offers one.
        self._shared_lock = getattr(cache, "try_lock", None) if not local else None

    @property
    def local(self) -> bool:
        """True when live sessions are kept in this process's memory (one HTTP process)."""
        return self._memory is not None

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
        """Cache a committed row unless the cache already holds a newer version of it."""
        if self._memory is not None:
            # Kept as marshal bytes, not as a dict: tens of thousands of live dicts made every full
            # garbage collection walk them all (pauses of 50-170 ms that stalled every request).
            packed = marshal.dumps(session.to_dict())
            with self._lock:
                held = self._memory.get(session.id)
                if held is None or held[1] <= session.version:
                    self._memory[session.id] = (float(self.ttl_for(session)), session.version, packed)
            return
        await self.cache.set_newer(_key(session.id), session.to_dict(), session.version, ttl=self.ttl_for(session))

    async def get(self, session_id: str) -> SessionRecord | None:
        """Cache first; on a miss restore from the durable store and re-warm the cache."""
        if self._memory is not None:
            with self._lock:
                entry = self._memory.get(session_id)
            cached = marshal.loads(entry[2]) if entry is not None else None
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

    async def apply(
        self,
        session_id: str,
        command: SessionCommand,
        *,
        new: SessionRecord | None = None,
        expected: SessionRecord | None = None,
    ) -> tuple[SessionRecord, SessionChange]:
        """Run a session command in the durable store, then cache the row it committed."""
        committed, change = await self.store.apply(session_id, command, new=new, expected=expected)
        await self.warm(committed)
        return committed, change

    async def create(self, session: SessionRecord) -> SessionRecord:
        """Store a new session as it is (no turns) and cache it."""
        committed, _ = await self.apply(session.id, lambda _conn, _current: SessionChange(), new=session)
        return committed

    async def set_rating(self, session_id: str, score: int) -> SessionRecord:
        """The rating route's command: the one writer of the ``rating`` column."""
        committed, _ = await self.apply(session_id, lambda _conn, _current: SessionChange({"rating": score}))
        return committed

    @contextlib.asynccontextmanager
    async def ordered(self, session_id: str) -> AsyncIterator[None]:
        """Handle one message of ``session_id`` at a time, in arrival order: a lock per session in
        this process, plus a short lock in Redis across workers. Waiting longer than
        ``SESSION_LOCK_WAIT_SECONDS`` answers 409 ``busy`` instead of hanging."""
        wait = float(self.settings.session_lock_wait_seconds)
        lock, users = self._order.get(session_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._order[session_id] = (lock, users + 1)
        try:
            deadline = time.monotonic() + wait
            try:
                if lock.locked():  # wait_for costs a task: only when there is something to wait for
                    await asyncio.wait_for(lock.acquire(), timeout=wait)
                else:
                    await lock.acquire()
            except TimeoutError:
                raise SessionBusy(
                    "an earlier message of this session is still being answered; send again shortly",
                    details={"retry_after_s": 1},
                ) from None
            try:
                if self._shared_lock is None:
                    yield
                    return
                token = secrets.token_hex(8)
                key = f"lock:{_key(session_id)}"
                while not await self._shared_lock(key, token, LOCK_LEASE_SECONDS):
                    if time.monotonic() >= deadline:
                        raise SessionBusy(
                            "an earlier message of this session is still being answered; send again shortly",
                            details={"retry_after_s": 1},
                        )
                    await asyncio.sleep(_LOCK_POLL_SECONDS)
                try:
                    yield
                finally:
                    await self.cache.unlock(key, token)  # type: ignore[attr-defined]
            finally:
                lock.release()
        finally:
            lock_now, count = self._order[session_id]
            if count <= 1:
                del self._order[session_id]
            else:
                self._order[session_id] = (lock_now, count - 1)

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
            return marshal.loads(entry[2]) if entry is not None else None
        cached: dict[str, Any] | None = await self.cache.get(_key(session_id))  # what save() put there
        return cached

    async def forget_all(self) -> None:
        """Drop every cached session (the durable store restores each on its next use)."""
        if self._memory is not None:
            with self._lock:
                self._memory.clear()
            return
        await self.cache.clear()
